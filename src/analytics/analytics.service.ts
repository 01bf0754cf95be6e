import { Injectable } from '@nestjs/common';
import { CacheService } from '../cache/index.js';
import { AnalyticsRepository } from './analytics.repository.js';
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
    private readonly reports: AnalyticsRepository,
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
    const { totals, topProducts, daily } = await this.reports.salesBetween(from, to);
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
