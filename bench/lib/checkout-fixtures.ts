import { Queue, type ConnectionOptions } from 'bullmq';
import type pg from 'pg';
import { loadAppConfig } from '../../src/config/load-app-config.js';
import { queueConnection, releaseQueueConnection } from '../../src/queues/queue-connection.js';
import { CHARGES_QUEUE, EMAILS_QUEUE } from '../../src/queues/queues.constants.js';

/** Ample stock on the first `count` active products, so no checkout waits on one row or runs out; their ids. */
export async function stockUp(sql: pg.Client, count: number): Promise<number[]> {
  const { rows } = await sql.query<{ id: number }>(
    `UPDATE products SET stock = 1000000 WHERE id IN (SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT $1) RETURNING id`,
    [count],
  );
  return rows.map((row) => row.id);
}

/**
 * The benchmark's queues, started empty (what earlier runs left in the outbox and the queues is
 * not this run's work), and a wait for the worker to have drained them.
 */
export class BenchQueues {
  private constructor(
    private readonly sql: pg.Client,
    private readonly queues: Queue[],
    private readonly connection: ConnectionOptions,
  ) {}

  /** `env`: the API's (one queue Redis or a cluster, as the API and worker use it). */
  static async emptied(sql: pg.Client, env: Record<string, string>): Promise<BenchQueues> {
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    const connection = queueConnection(loadAppConfig(env));
    const queues = [CHARGES_QUEUE, EMAILS_QUEUE].map(
      (name) => new Queue(name, { connection, prefix: env.QUEUE_PREFIX }),
    );
    for (const queue of queues) await queue.obliterate({ force: true });
    return new BenchQueues(sql, queues, connection);
  }

  /** Resolves once no outbox event is due and no job waits, runs or is delayed. */
  async workerIdle(timeoutMs: number): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      const { rows } = await this.sql.query<{ due: number }>(
        'SELECT count(*)::int AS due FROM outbox_events WHERE sent_at IS NULL AND available_at <= now()',
      );
      const counts = await Promise.all(this.queues.map((queue) => queue.getJobCounts('waiting', 'active', 'delayed')));
      if (rows[0].due === 0 && counts.every((count) => count.waiting + count.active + count.delayed === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the worker did not catch up within ${timeoutMs / 1000} s`);
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
    releaseQueueConnection(this.connection);
  }
}
