import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';

/**
 * A sale: an order that was charged and is still (partly) kept — paid, shipped or delivered. Not a
 * pending, failed, cancelled or wholly refunded one. Its revenue is what was charged less what was
 * refunded of it.
 */
const sold = (status = Prisma.raw('status')) => Prisma.sql`${status} IN ('paid', 'shipped', 'delivered')`;

export interface SalesRows {
  totals: { revenue: bigint | null; count: number };
  topProducts: { productId: number; name: string; units: bigint; revenue: bigint }[];
  daily: { day: Date; count: number; revenue: bigint }[];
}

/** The dashboard's aggregates, in SQL, run in parallel on the replicas. */
@Injectable()
export class AnalyticsRepository {
  constructor(private readonly db: Db) {}

  /** Sales (see `sold`), created in `[from, to)`: totals, the 10 top products by revenue, per UTC day. */
  async salesBetween(from: Date, to: Date): Promise<SalesRows> {
    const [[totals], topProducts, daily] = await Promise.all([
      this.db.reader().$queryRaw<{ revenue: bigint | null; count: number }[]>`
        SELECT sum(total_cents - refunded_cents)::bigint AS revenue, count(*)::int AS count
        FROM orders WHERE ${sold()} AND created_at >= ${from} AND created_at < ${to}`,
      this.db.reader().$queryRaw<{ productId: number; name: string; units: bigint; revenue: bigint }[]>`
        SELECT p.id AS "productId", p.name, t.units, t.revenue FROM (
          SELECT oi.product_id, sum(oi.quantity)::bigint AS units, sum(oi.quantity * oi.unit_price_cents)::bigint AS revenue
          FROM orders o JOIN order_items oi ON oi.order_id = o.id
          -- Per line as charged: a partial refund is not tied to a line.
          WHERE ${sold(Prisma.raw('o.status'))} AND o.created_at >= ${from} AND o.created_at < ${to}
          GROUP BY oi.product_id ORDER BY revenue DESC LIMIT 10
        ) t JOIN products p ON p.id = t.product_id ORDER BY t.revenue DESC`,
      this.db.reader().$queryRaw<{ day: Date; count: number; revenue: bigint }[]>`
        SELECT date_trunc('day', created_at, 'UTC') AS day, count(*)::int AS count,
               sum(total_cents - refunded_cents)::bigint AS revenue
        FROM orders WHERE ${sold()} AND created_at >= ${from} AND created_at < ${to}
        GROUP BY 1 ORDER BY 1`,
    ]);
    return { totals, topProducts, daily };
  }
}
