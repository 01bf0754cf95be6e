import { Injectable } from '@nestjs/common';
import { CacheService } from '../cache/index.js';
import { Db } from '../database/index.js';
import type { Dashboard } from './dashboard.dto.js';

const HOUR = 3_600_000;

/**
 * The dashboard: independent aggregates, all computed in SQL, run in parallel on the replicas.
 * Cancelled orders never count (the partial covering index `orders_not_cancelled_created_idx`
 * serves the totals and the series). Results are cached per hour bucket of the range: every
 * request in the same hour shares one computation. No post-processing is heavy enough to need a
 * worker thread: the rows that come back are at most 10 + 366.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly db: Db,
    private readonly cache: CacheService,
  ) {}

  async dashboard(range: { from: Date; to: Date }): Promise<Dashboard> {
    const from = new Date(Math.floor(range.from.getTime() / HOUR) * HOUR);
    const to = new Date(Math.ceil(range.to.getTime() / HOUR) * HOUR);
    const dashboard = await this.cache.getOrSet(
      { namespace: 'dashboard', id: [from.toISOString(), to.toISOString()] },
      () => this.compute(from, to),
      {
        ttlMs: HOUR,
      },
    );
    return dashboard!;
  }

  private async compute(from: Date, to: Date): Promise<Dashboard> {
    const [[totals], topProducts, daily] = await Promise.all([
      this.db.reader().$queryRaw<{ revenue: bigint | null; count: number }[]>`
        SELECT sum(total_cents)::bigint AS revenue, count(*)::int AS count
        FROM orders WHERE status <> 'cancelled' AND created_at >= ${from} AND created_at < ${to}`,
      this.db.reader().$queryRaw<{ productId: number; name: string; units: bigint; revenue: bigint }[]>`
        SELECT p.id AS "productId", p.name, t.units, t.revenue FROM (
          SELECT oi.product_id, sum(oi.quantity)::bigint AS units, sum(oi.quantity * oi.unit_price_cents)::bigint AS revenue
          FROM orders o JOIN order_items oi ON oi.order_id = o.id
          WHERE o.status <> 'cancelled' AND o.created_at >= ${from} AND o.created_at < ${to}
          GROUP BY oi.product_id ORDER BY revenue DESC LIMIT 10
        ) t JOIN products p ON p.id = t.product_id ORDER BY t.revenue DESC`,
      this.db.reader().$queryRaw<{ day: Date; count: number; revenue: bigint }[]>`
        SELECT date_trunc('day', created_at, 'UTC') AS day, count(*)::int AS count, sum(total_cents)::bigint AS revenue
        FROM orders WHERE status <> 'cancelled' AND created_at >= ${from} AND created_at < ${to}
        GROUP BY 1 ORDER BY 1`,
    ]);
    const revenueCents = Number(totals.revenue ?? 0);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      revenueCents,
      orderCount: totals.count,
      averageOrderCents: totals.count ? Math.round(revenueCents / totals.count) : 0,
      topProducts: topProducts.map((row) => ({
        productId: row.productId,
        name: row.name,
        units: Number(row.units),
        revenueCents: Number(row.revenue),
      })),
      daily: daily.map((row) => ({
        day: row.day.toISOString().slice(0, 10),
        orderCount: row.count,
        revenueCents: Number(row.revenue),
      })),
    };
  }
}
