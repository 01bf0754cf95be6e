import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Db } from '../database/index.js';
import { JOB_NAMES } from '../queues/queues.constants.js';
import { startHandOffSpan, type HandOffSpan } from '../tracing/trace-context.js';

export interface OutboxRow {
  id: bigint;
  topic: 'charge' | 'email' | 'refund' | 'account-email';
  payload: Record<string, unknown>;
  /** The writer's trace context (W3C), handed to the job so the worker continues its trace. */
  traceparent: string | null;
}

/** BullMQ job ids may not be all digits nor hold ':'. */
export const jobIdOf = (outboxId: bigint | number | string) => `outbox-${outboxId}`;

/**
 * Moves committed outbox events to their queues, in two statements and no transaction: a batch is
 * claimed with `FOR UPDATE SKIP LOCKED` by leasing it (its `available_at` moved `leaseMs` ahead, so
 * no other relay takes it meanwhile), enqueued with the outbox id as the job id (BullMQ ignores a
 * second add of an existing id; one `addBulk` per queue), then marked sent. A relay that dies after
 * the enqueue leaves leased, unsent rows: they are enqueued again when the lease ends, and the job
 * id makes that a no-op. A failed enqueue hands its lease back at once.
 */
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly db: Db,
    private readonly queues: Record<OutboxRow['topic'], Queue>,
    private readonly options: { batchSize?: number; intervalMs?: number; leaseMs?: number } = {},
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

  private async pass(): Promise<number> {
    const rows = await this.db.primary.$queryRaw<OutboxRow[]>`
      UPDATE outbox_events SET available_at = now() + make_interval(secs => ${(this.options.leaseMs ?? 30_000) / 1000})
      WHERE id IN (
        SELECT id FROM outbox_events
        WHERE sent_at IS NULL AND available_at <= now()
        ORDER BY available_at, id
        LIMIT ${this.options.batchSize ?? 100}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, topic, payload, traceparent`;
    if (!rows.length) return 0;
    const ids = rows.map((row) => row.id);
    // One `send` span per traced event, in the trace of whoever wrote it; the job continues it.
    const spans: HandOffSpan[] = [];
    try {
      const inOrder = rows.toSorted((a, b) => (a.id < b.id ? -1 : 1));
      await Promise.all(
        (Object.keys(this.queues) as OutboxRow['topic'][]).flatMap((topic) => {
          const events = inOrder.filter((row) => row.topic === topic);
          const jobs = events.map((row) => {
            const span = startHandOffSpan(`${this.queues[topic].name} send`, row.traceparent, {
              'messaging.system': 'bullmq',
              'messaging.operation.type': 'send',
              'messaging.destination.name': this.queues[topic].name,
              'messaging.message.id': jobIdOf(row.id),
            });
            if (span) spans.push(span);
            const traceparent = span?.traceparent ?? row.traceparent;
            return {
              name: JOB_NAMES[topic],
              data: { ...row.payload, outboxId: String(row.id), ...(traceparent && { traceparent }) },
              opts: { jobId: jobIdOf(row.id) },
            };
          });
          return jobs.length ? [this.queues[topic].addBulk(jobs)] : [];
        }),
      );
    } catch (error) {
      for (const span of spans) span.end(error as Error);
      await this.db.primary
        .$executeRaw`UPDATE outbox_events SET available_at = now() WHERE id = ANY(${ids}::bigint[])`.catch(
        () => undefined, // the lease ends by itself
      );
      throw error;
    }
    for (const span of spans) span.end();
    await this.db.primary.$executeRaw`UPDATE outbox_events SET sent_at = now() WHERE id = ANY(${ids}::bigint[])`;
    return rows.length;
  }
}
