import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { register } from 'prom-client';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { APP_NAME, AppConfig } from '../src/config/index.js';
import { Db } from '../src/database/index.js';
import { queueConnection } from '../src/queues/queue-connection.js';
import { MAINTENANCE_QUEUE } from '../src/queues/queues.constants.js';
import { RetentionRepository } from '../src/retention/retention.repository.js';
import { RETENTION_TARGETS, RetentionService } from '../src/retention/retention.service.js';
import { startWorker, type AppProcess } from './support/app-process.js';
import { freePort } from './support/free-port.js';
import { retentionRows, type RetentionRows } from './support/retention-rows.js';
import { connect } from './support/sql.js';
import { createTestApp, login, testConfig } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

/**
 * Retention (src/retention): what is past its window goes, what is younger stays, in batches of
 * RETENTION_BATCH_SIZE, counted in a metric. Run directly through the service (batches of 2, on a
 * queue of this file's own), and once through the real job schedulers of the built worker.
 */
describe('retention: prunes past their windows, in bounded batches (real Postgres, queue Redis, worker)', () => {
  const config = testConfig({ RETENTION_BATCH_SIZE: '2' });
  const run = `${process.pid}-${Date.now() % 1_000_000}`;
  const prefix = `test-retention-${run}`;
  let db: Db;
  let sql: pg.Client;
  let redis: Redis;
  let queue: Queue;
  let repository: RetentionRepository;
  let retention: RetentionService;
  let rows: RetentionRows;

  beforeAll(async () => {
    db = new Db({ applicationName: APP_NAME, primaryUrl: config.DATABASE_URL, replicaUrls: [] });
    await db.onModuleInit();
    sql = await connect();
    redis = new Redis(config.REDIS_QUEUE_URL!, { maxRetriesPerRequest: null });
    queue = new Queue('jobs', { connection: redis, prefix });
    repository = new RetentionRepository(db);
    retention = new RetentionService(repository, AppConfig.of(config), [queue]);
    rows = await retentionRows(sql, run);
    // Whatever another run left past its window goes now: the counts below are this file's rows.
    for (const target of RETENTION_TARGETS) await retention.prune(target);
  });

  afterAll(async () => {
    await rows?.deleteAll();
    await queue?.obliterate({ force: true });
    await queue?.close();
    redis?.disconnect();
    retention?.onModuleDestroy();
    await sql?.end();
    await db?.onApplicationShutdown();
  });

  const counted = async (name: string, labels: Record<string, string>) =>
    (await register.getSingleMetric(name)!.get()).values.find((value) =>
      Object.entries(labels).every(([key, label]) => value.labels[key] === label),
    )?.value ?? 0;

  it('idempotency keys: past 24 h they go; younger ones stay, and an in_progress key stays while its lock holds and a window after it lapsed', async () => {
    const old = await rows.insertKey('25 hours', 'completed');
    const young = await rows.insertKey('23 hours', 'completed');
    const held = await rows.insertKey('30 hours', 'in_progress', `now() + interval '1 minute'`);
    const lapsedLately = await rows.insertKey('30 hours', 'in_progress', `now() - interval '1 hour'`);
    const abandoned = await rows.insertKey('50 hours', 'in_progress', `now() - interval '25 hours'`);
    const before = await counted('retention_pruned_total', { table: 'idempotency_keys' });

    expect(await retention.prune('idempotency_keys')).toMatchObject({ pruned: 2 });
    expect(await rows.keysLeft([old, young, held, lapsedLately, abandoned])).toEqual(
      new Set([young, held, lapsedLately]),
    );
    expect(await counted('retention_pruned_total', { table: 'idempotency_keys' })).toBe(before + 2);
  });

  it('outbox events: sent more than 7 days ago they go; sent lately, or not sent, they stay', async () => {
    const old = await rows.insertEvent('8 days');
    const young = await rows.insertEvent('6 days');
    const unsent = await rows.insertEvent(null);
    expect(await retention.prune('outbox_events')).toMatchObject({ pruned: 1 });
    expect(await rows.eventsLeft([old, young, unsent])).toEqual(new Set([young, unsent]));
  });

  it('email deliveries: sent more than RETENTION_EMAIL_DELIVERIES_S ago they go; sent lately, or never, they stay', async () => {
    const old = await rows.insertDelivery('31 days');
    const young = await rows.insertDelivery('29 days');
    const unsent = await rows.insertDelivery(null);
    expect(await retention.prune('email_deliveries')).toMatchObject({ pruned: 1 });
    expect(await rows.deliveriesLeft([old, young, unsent])).toEqual(new Set([young, unsent]));
  });

  it('works in batches of RETENTION_BATCH_SIZE: 5 old rows with batches of 2 take 3 statements of at most 2, and all go', async () => {
    const old: string[] = [];
    for (let i = 0; i < 5; i++) old.push(await rows.insertKey('2 days', 'completed'));
    const young = await rows.insertKey('1 hour', 'completed');
    const batch = vi.spyOn(repository, 'pruneBatch');
    try {
      expect(await retention.prune('idempotency_keys')).toEqual({ target: 'idempotency_keys', pruned: 5, batches: 3 });
      const deleted = await Promise.all(batch.mock.results.map((result) => result.value as Promise<number>));
      expect(deleted).toEqual([2, 2, 1]);
      expect(batch.mock.calls.every(([, , limit]) => limit === 2)).toBe(true);
    } finally {
      batch.mockRestore();
    }
    expect(await rows.keysLeft([...old, young])).toEqual(new Set([young]));
  });

  it('finished jobs: completed past RETENTION_COMPLETED_JOBS_S and failed past RETENTION_FAILED_JOBS_S go, younger stay', async () => {
    const worker = new Worker(
      'jobs',
      async (job) => {
        if (job.data.fail) throw new Error('refused');
        return 'done';
      },
      { connection: queueConnection(config), prefix },
    );
    const add = (name: string, fail = false) => queue.add(name, { fail }, { jobId: name, attempts: 1 });
    await Promise.all([add('old-1'), add('old-2'), add('new'), add('old-failed', true), add('new-failed', true)]);
    await waitFor(
      async () => {
        const { completed, failed } = await queue.getJobCounts('completed', 'failed');
        return completed + failed === 5;
      },
      10_000,
      'five finished jobs',
    );
    await worker.close();
    // As if they had finished long ago: the finished sets are ordered by when each job finished.
    const day = 86_400_000;
    const finishedAgo = async (state: 'completed' | 'failed', id: string, ms: number) =>
      redis.zadd(`${prefix}:jobs:${state}`, Date.now() - ms, id);
    await finishedAgo('completed', 'old-1', 2 * day);
    await finishedAgo('completed', 'old-2', 2 * day);
    await finishedAgo('completed', 'new', day / 2);
    await finishedAgo('failed', 'old-failed', 8 * day);
    await finishedAgo('failed', 'new-failed', 2 * day);
    const before = await counted('retention_jobs_pruned_total', { queue: 'jobs', state: 'completed' });

    // Completed: a full batch of 2, then an empty one; failed: one short batch.
    expect(await retention.prune('finished_jobs')).toEqual({ target: 'finished_jobs', pruned: 3, batches: 3 });
    expect((await queue.getJobs(['completed'])).map((job) => job.id)).toEqual(['new']);
    expect((await queue.getJobs(['failed'])).map((job) => job.id)).toEqual(['new-failed']);
    expect(await counted('retention_jobs_pruned_total', { queue: 'jobs', state: 'completed' })).toBe(before + 2);
  });

  describe('keys still replay within 24 h (checkout through the API)', () => {
    const gateway = createFakeGateway({ latencyMs: 0, failureRate: 0 });
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await createTestApp({ PAYMENT_GATEWAY_URL: await gateway.listen({ port: 0, host: '127.0.0.1' }) });
    });
    afterAll(async () => {
      await app?.close();
      await gateway.close();
    });

    it('a key used 23 h ago replays its answer after a prune; past 24 h it is pruned and places a new order', async () => {
      const headers = { ...(await login(app, 'user5@example.com')), 'idempotency-key': `ret-${run}-replay` };
      const {
        rows: [{ id: productId }],
      } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id DESC LIMIT 1 OFFSET 3`);
      await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
      const payload = { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' };
      const checkout = () => app.inject({ method: 'POST', url: '/checkout', headers, payload });
      const age = (interval: string) =>
        sql.query(`UPDATE idempotency_keys SET created_at = now() - $1::interval WHERE key = $2`, [
          interval,
          headers['idempotency-key'],
        ]);

      const first = await checkout();
      expect(first.statusCode, first.body).toBe(201);
      await age('23 hours');
      await retention.prune('idempotency_keys');
      const replayed = await checkout();
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.json().orderId).toBe(first.json().orderId);

      await age('25 hours');
      await retention.prune('idempotency_keys');
      const again = await checkout();
      expect(again.statusCode, again.body).toBe(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.json().orderId).not.toBe(first.json().orderId);
    });
  });

  describe('through the built worker: BullMQ job schedulers on the maintenance queue', () => {
    let worker: AppProcess | undefined;
    let maintenance: Queue;
    let metricsPort: number;

    beforeAll(async () => {
      maintenance = new Queue(MAINTENANCE_QUEUE, { connection: queueConnection(config), prefix: config.QUEUE_PREFIX });
      metricsPort = await freePort();
      worker = await startWorker({
        RETENTION_INTERVAL_MS: '300',
        WORKER_METRICS_PORT: String(metricsPort),
        // Only retention here: events other files left stay for their own workers.
        OUTBOX_RELAY_ENABLED: 'false',
      });
    });
    afterAll(async () => {
      await worker?.stop('SIGKILL');
      // The schedulers outlive the worker, in Redis: the next worker upserts its own interval,
      // but none should run every 300 ms meanwhile.
      for (const target of RETENTION_TARGETS) await maintenance?.removeJobScheduler(`retention-${target}`);
      await maintenance?.close();
    });

    it('upserts one scheduler per target, and its jobs prune each table, counted in /metrics and logged', async () => {
      const schedulers = await maintenance.getJobSchedulers();
      expect(new Set(schedulers.map((scheduler) => `${scheduler.key} every ${scheduler.every}`))).toEqual(
        new Set(RETENTION_TARGETS.map((target) => `retention-${target} every 300`)),
      );
      const key = await rows.insertKey('25 hours', 'completed');
      const young = await rows.insertKey('1 hour', 'completed');
      const event = await rows.insertEvent('8 days');
      const delivery = await rows.insertDelivery('31 days');
      await waitFor(
        async () =>
          (await rows.keysLeft([key])).size === 0 &&
          (await rows.eventsLeft([event])).size === 0 &&
          (await rows.deliveriesLeft([delivery])).size === 0,
        10_000,
        'the scheduled prunes',
      );
      expect(await rows.keysLeft([young])).toEqual(new Set([young]));
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      for (const table of ['idempotency_keys', 'outbox_events', 'email_deliveries'])
        expect(metrics).toMatch(new RegExp(`^retention_pruned_total\\{table="${table}"\\} [1-9]`, 'm'));
      expect(metrics).toMatch(/^queue_job_duration_seconds_count\{queue="maintenance",outcome="completed"\} [1-9]/m);
      const logged = worker!
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('pruned'))
        .map((line) => JSON.parse(line) as { msg: string; queue: string });
      expect(logged).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            msg: expect.stringMatching(/^pruned 1 of idempotency_keys in 1 batch /),
            queue: 'maintenance',
          }),
        ]),
      );
    });

    it('a worker booted with RETENTION_ENABLED=false removes the schedulers (nothing is pruned any more)', async () => {
      await worker?.stop();
      worker = await startWorker({
        RETENTION_ENABLED: 'false',
        WORKER_METRICS_PORT: '0',
        OUTBOX_RELAY_ENABLED: 'false',
      });
      await waitFor(() => worker!.output().includes('retention disabled'), 10_000, 'the warning');
      expect(await maintenance.getJobSchedulers()).toEqual([]);
      const key = await rows.insertKey('25 hours', 'completed');
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // > 3 intervals of the removed schedulers
      expect(await rows.keysLeft([key])).toEqual(new Set([key]));
      await retention.prune('idempotency_keys');
    });
  });
});
