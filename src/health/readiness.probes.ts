import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { CacheService } from '../cache/index.js';
import { AppConfig } from '../config/index.js';
import { withDeadline } from '../common/deadline.js';
import { Db } from '../database/index.js';
import { ALL_QUEUES } from '../queues/queues.constants.js';

/**
 * What readiness checks, each bounded by HEALTH_CHECK_TIMEOUT_MS and run in parallel, by the
 * health monitor only (never per request). Required (down → 503): the primary and the queue Redis.
 * Degraded (200, `status: "degraded"`): a replica out of the rotation, the cache Redis unavailable
 * (the cache fails safe), a queue backlog above HEALTH_QUEUE_BACKLOG_MAX.
 */
@Injectable()
export class ReadinessProbes {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly db: Db,
    private readonly cache: CacheService,
    private readonly config: AppConfig,
    @Inject(ALL_QUEUES) private readonly queues: Queue[],
  ) {}

  /** One round: every check's result, in report order. */
  all(): Promise<HealthIndicatorResult[]> {
    return Promise.all([
      this.primary(),
      ...this.replicas(),
      this.cacheRedis(),
      this.queueRedis(),
      ...this.queues.map((queue) => this.backlog(queue)),
    ]);
  }

  private async primary(): Promise<HealthIndicatorResult> {
    return this.indicators
      .check('primary')
      .attempt(() => this.db.primary.$queryRaw`SELECT 1`.then(() => undefined))
      .withTimeout(this.config.HEALTH_CHECK_TIMEOUT_MS);
  }

  /** From the replica monitor's last probe (every DB_REPLICA_PROBE_INTERVAL_MS): no query here. */
  private replicas(): HealthIndicatorResult[] {
    return this.db.snapshot().replicas.map((state) => {
      const details = {
        inRotation: state.inRotation,
        lagBytes: state.lagBytes,
        lagSeconds: state.lagSeconds,
        ...(state.inRotation ? {} : { reason: state.reason }),
      };
      const session = this.indicators.check(state.name);
      return state.inRotation ? session.up(details) : session.degraded(details);
    });
  }

  private async cacheRedis(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('cache-redis');
    const up = await withDeadline(this.cache.ping(), this.config.HEALTH_CHECK_TIMEOUT_MS).catch(() => false);
    return up ? session.up({ circuit: this.cache.circuit }) : session.degraded({ circuit: this.cache.circuit });
  }

  private async queueRedis(): Promise<HealthIndicatorResult> {
    return (
      this.indicators
        .check('queue-redis')
        // A one-key read through BullMQ's own connection (what the relay and workers depend on).
        .attempt(async () => {
          await this.queues[0].getJobCounts('waiting');
        })
        .withTimeout(this.config.HEALTH_CHECK_TIMEOUT_MS)
    );
  }

  private async backlog(queue: Queue): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(`queue-${queue.name}`);
    try {
      const counts = await withDeadline(
        queue.getJobCounts('waiting', 'delayed', 'active', 'failed'),
        this.config.HEALTH_CHECK_TIMEOUT_MS,
      );
      const waiting = counts.waiting + counts.delayed;
      return waiting > this.config.HEALTH_QUEUE_BACKLOG_MAX
        ? session.degraded({ ...counts, message: `backlog above ${this.config.HEALTH_QUEUE_BACKLOG_MAX}` })
        : session.up(counts);
    } catch {
      // The queue Redis check reports the outage; the backlog is just unknown.
      return session.degraded({ message: 'backlog unknown' });
    }
  }
}
