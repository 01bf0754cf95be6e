import type { ChildProcess } from 'node:child_process';
import { Queue, type ConnectionOptions } from 'bullmq';
import type pg from 'pg';
import { loadAppConfig } from '../../src/config/load-app-config.js';
import { queueConnection, releaseQueueConnection } from '../../src/queues/queue-connection.js';
import { CHARGES_QUEUE, EMAILS_QUEUE } from '../../src/queues/queues.constants.js';
import { startProcess, stopApi } from './server.js';

/** Ample stock on the first `count` active products, so no checkout waits on one row or runs out; their ids. */
export async function stockUp(sql: pg.ClientBase | pg.Pool, count: number): Promise<number[]> {
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
    private readonly sql: pg.ClientBase | pg.Pool,
    private readonly queues: Queue[],
    private readonly connection: ConnectionOptions,
  ) {}

  /** `env`: the API's (one queue Redis or a cluster, as the API and worker use it). */
  static async emptied(sql: pg.ClientBase | pg.Pool, env: Record<string, string>): Promise<BenchQueues> {
    const connection = queueConnection(loadAppConfig(env));
    const queues = [CHARGES_QUEUE, EMAILS_QUEUE].map(
      (name) => new Queue(name, { connection, prefix: env.QUEUE_PREFIX }),
    );
    const emptied = new BenchQueues(sql, queues, connection);
    await emptied.discard();
    return emptied;
  }

  /** Drops every event not yet relayed and every job (call with no worker running). */
  async discard(): Promise<void> {
    await this.sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    for (const queue of this.queues) await queue.obliterate({ force: true });
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

/**
 * The worker process, restartable with an empty backlog: a checkout ramp leaves far more charges
 * than the worker makes in the meantime (4 at a time, the provider at 300 ms), and the next case
 * must not share the CPU with them.
 */
export class BenchWorker {
  private constructor(
    private process: ChildProcess,
    private readonly env: Record<string, string>,
    private readonly queues: BenchQueues,
  ) {}

  static async start(env: Record<string, string>, queues: BenchQueues): Promise<BenchWorker> {
    return new BenchWorker(await BenchWorker.spawn(env), env, queues);
  }

  private static spawn(env: Record<string, string>): Promise<ChildProcess> {
    return startProcess(['dist/worker.js'], { ...env, LOG_LEVEL: 'info' }, 'worker running');
  }

  /** Stops the worker, discards what is queued, starts it again. */
  async fresh(): Promise<void> {
    await stopApi(this.process);
    await this.queues.discard();
    this.process = await BenchWorker.spawn(this.env);
  }

  stop(): Promise<void> {
    return stopApi(this.process);
  }
}
