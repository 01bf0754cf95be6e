import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Db } from '../database/index.js';
import { JOB_NAMES } from '../queues/queues.constants.js';

export interface OutboxRow {
  id: bigint;
  topic: 'charge' | 'email';
  payload: Record<string, unknown>;
}

/** BullMQ job ids may not be all digits nor hold ':'. */
export const jobIdOf = (outboxId: bigint | number | string) => `outbox-${outboxId}`;

/**
 * Moves committed outbox events to their queues. Each batch is claimed with
 * `FOR UPDATE SKIP LOCKED` (several relays never take the same row), enqueued with the outbox id
 * as the job id (BullMQ ignores a second add of an existing id), then marked sent in the same
 * transaction. A crash after the enqueue and before the commit leaves the rows unsent: the next
 * pass enqueues them again, and the job id makes that a no-op.
 */
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly db: Db,
    private readonly queues: Record<OutboxRow['topic'], Queue>,
    private readonly options: { batchSize?: number; intervalMs?: number } = {},
  ) {}

  start(): void {
    this.timer ??= setInterval(
      () => void this.relayOnce().catch((error: Error) => this.logger.warn(`relay pass failed: ${error.message}`)),
      this.options.intervalMs ?? 200,
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass; returns how many events it moved. Passes of one relay never overlap. */
  relayOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private pass(): Promise<number> {
    return this.db.transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id, topic, payload FROM outbox_events
          WHERE sent_at IS NULL AND available_at <= now()
          ORDER BY available_at, id
          LIMIT ${this.options.batchSize ?? 100}
          FOR UPDATE SKIP LOCKED`;
        if (!rows.length) return 0;
        await Promise.all(
          rows.map((row) =>
            this.queues[row.topic].add(
              JOB_NAMES[row.topic],
              { ...row.payload, outboxId: String(row.id) },
              { jobId: jobIdOf(row.id) },
            ),
          ),
        );
        await tx.$executeRaw`UPDATE outbox_events SET sent_at = now() WHERE id = ANY(${rows.map((row) => row.id)}::bigint[])`;
        return rows.length;
      },
      { timeoutMs: 10_000 },
    );
  }
}
