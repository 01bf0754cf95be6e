import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../config/index.js';
import { OwnedMetrics } from '../metrics/metric-registry.js';
import { ALL_QUEUES } from '../queues/queues.constants.js';
import { RetentionRepository, type PrunedTable } from './retention.repository.js';

/** What one retention job prunes: a table, or the finished jobs of every queue. */
export const RETENTION_TARGETS = ['idempotency_keys', 'outbox_events', 'email_deliveries', 'finished_jobs'] as const;
export type RetentionTarget = (typeof RETENTION_TARGETS)[number];

export interface PruneResult {
  target: RetentionTarget;
  pruned: number;
  /** Statements (or clean calls) it took; each removed at most RETENTION_BATCH_SIZE. */
  batches: number;
}

const FINISHED_STATES = ['completed', 'failed'] as const;

/**
 * Prunes what is past its retention window (RETENTION_* settings) in bounded batches, looped until
 * a batch comes back short: each batch is its own statement or Redis script, so no lock or
 * blocking call lasts longer than one batch takes. Counted in `retention_pruned_total`, logged
 * when anything went.
 */
@Injectable()
export class RetentionService implements OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private readonly metrics = new OwnedMetrics();
  private readonly rows = this.metrics.counter({
    name: 'retention_pruned_total',
    help: 'Rows deleted by retention, by table',
    labelNames: ['table'],
  });
  private readonly jobs = this.metrics.counter({
    name: 'retention_jobs_pruned_total',
    help: 'Finished BullMQ jobs removed by retention, by queue and state',
    labelNames: ['queue', 'state'],
  });

  constructor(
    private readonly repository: RetentionRepository,
    private readonly config: AppConfig,
    @Inject(ALL_QUEUES) private readonly queues: Queue[],
  ) {}

  onModuleDestroy(): void {
    this.metrics.release();
  }

  async prune(target: RetentionTarget): Promise<PruneResult> {
    const started = Date.now();
    const result =
      target === 'finished_jobs' ? await this.pruneJobs() : await this.pruneTable(target, this.windowOf(target));
    if (result.pruned)
      this.logger.log(
        `pruned ${result.pruned} of ${target} in ${result.batches} ${result.batches === 1 ? 'batch' : 'batches'} (${Date.now() - started} ms)`,
      );
    return result;
  }

  private windowOf(table: PrunedTable): number {
    if (table === 'idempotency_keys') return this.config.RETENTION_IDEMPOTENCY_KEYS_S;
    if (table === 'outbox_events') return this.config.RETENTION_OUTBOX_EVENTS_S;
    return this.config.RETENTION_EMAIL_DELIVERIES_S;
  }

  private async pruneTable(table: PrunedTable, windowS: number): Promise<PruneResult> {
    const result = await this.untilShort(async (limit) => {
      const deleted = await this.repository.pruneBatch(table, windowS, limit);
      this.rows.inc({ table }, deleted);
      return deleted;
    });
    return { target: table, ...result };
  }

  /**
   * Finished jobs past RETENTION_COMPLETED_JOBS_S / RETENTION_FAILED_JOBS_S, oldest first (what
   * `removeOnComplete`/`removeOnFail` ages do too, but only when another job of the queue finishes).
   */
  private async pruneJobs(): Promise<PruneResult> {
    let pruned = 0;
    let batches = 0;
    for (const queue of this.queues) {
      for (const state of FINISHED_STATES) {
        const graceS =
          state === 'completed' ? this.config.RETENTION_COMPLETED_JOBS_S : this.config.RETENTION_FAILED_JOBS_S;
        const result = await this.untilShort(async (limit) => {
          const removed = (await queue.clean(graceS * 1_000, limit, state)).length;
          this.jobs.inc({ queue: queue.name, state }, removed);
          return removed;
        });
        pruned += result.pruned;
        batches += result.batches;
      }
    }
    return { target: 'finished_jobs', pruned, batches };
  }

  /** Runs `batch` until it removes fewer than a batch. */
  private async untilShort(batch: (limit: number) => Promise<number>): Promise<Omit<PruneResult, 'target'>> {
    const limit = this.config.RETENTION_BATCH_SIZE;
    let pruned = 0;
    let batches = 0;
    for (;;) {
      const removed = await batch(limit);
      pruned += removed;
      batches++;
      if (removed < limit) return { pruned, batches };
    }
  }
}
