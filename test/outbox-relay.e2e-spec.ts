import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_NAME } from '../src/config/index.js';
import { Db } from '../src/database/index.js';
import { OutboxRelay, jobIdOf } from '../src/outbox/outbox-relay.js';
import { testConfig } from './support/test-app.js';

describe('outbox relay into BullMQ (real Postgres + queue Redis)', () => {
  const config = testConfig();
  const prefix = `test-relay-${process.pid}-${Date.now()}`;
  let db: Db;
  let redis: Redis;
  let queues: { charge: Queue; email: Queue; refund: Queue; 'account-email': Queue };

  beforeAll(async () => {
    db = new Db({
      applicationName: APP_NAME,
      primaryUrl: config.DATABASE_URL,
      replicaUrls: config.DATABASE_REPLICA_URLS,
    });
    await db.onModuleInit();
    redis = new Redis(config.REDIS_QUEUE_URL!, { maxRetriesPerRequest: null });
    const emails = new Queue('emails', { connection: redis, prefix });
    // Account emails share the emails queue (their job name tells them apart).
    queues = {
      charge: new Queue('charges', { connection: redis, prefix }),
      email: emails,
      refund: new Queue('refunds', { connection: redis, prefix }),
      'account-email': emails,
    };
    await db.primary.$executeRaw`UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL`;
  });

  afterAll(async () => {
    await Promise.all(
      [...new Set(Object.values(queues ?? {}))].map(async (queue) => {
        await queue.obliterate({ force: true });
        await queue.close();
      }),
    );
    redis?.disconnect();
    await db?.onApplicationShutdown();
  });

  const insertEvents = async (count: number, topic = 'email', delayMs = 0) =>
    (
      await db.primary.$queryRaw<{ id: bigint }[]>`
        INSERT INTO outbox_events (topic, payload, available_at)
        SELECT ${topic}, jsonb_build_object('orderId', n, 'template', 'order-confirmation'), now() + ${delayMs} * interval '1 millisecond'
        FROM generate_series(1, ${count}) n RETURNING id`
    ).map((row) => row.id);

  it('moves every due event exactly once, even with two relays racing', async () => {
    const ids = await insertEvents(50);
    const later = await insertEvents(1, 'email', 60_000);
    const first = new OutboxRelay(db, queues, { batchSize: 7 });
    const second = new OutboxRelay(db, queues, { batchSize: 7 });
    let moved = 0;
    for (let pass = 0; pass < 20; pass++)
      moved += (await Promise.all([first.relayOnce(), second.relayOnce()])).reduce((a, b) => a + b, 0);
    expect(moved).toBe(50);
    const jobs = await queues.email.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.map((job) => job.id).sort()).toEqual(ids.map(jobIdOf).sort());
    const { count } = (
      await db.primary.$queryRaw<
        { count: number }[]
      >`SELECT count(*)::int AS count FROM outbox_events WHERE id = ANY(${ids}::bigint[]) AND sent_at IS NOT NULL`
    )[0];
    expect(count).toBe(50);
    const [notDue] = await db.primary.$queryRaw<
      { sent: boolean }[]
    >`SELECT sent_at IS NOT NULL AS sent FROM outbox_events WHERE id = ${later[0]}`;
    expect(notDue.sent, 'an event not yet due stays').toBe(false);
  });

  it('loses nothing and doubles nothing when a relay died between enqueue and commit', async () => {
    const ids = await insertEvents(5, 'charge');
    // What a relay that crashed after `add` and before its commit leaves behind: jobs, unsent rows.
    for (const id of ids) await queues.charge.add('charge', { orderId: 1 }, { jobId: jobIdOf(id) });
    await new OutboxRelay(db, queues).relayOnce();
    const jobs = await queues.charge.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((job) => ids.map(jobIdOf).includes(job.id!))).toHaveLength(5);
    const { count } = (
      await db.primary.$queryRaw<
        { count: number }[]
      >`SELECT count(*)::int AS count FROM outbox_events WHERE id = ANY(${ids}::bigint[]) AND sent_at IS NULL`
    )[0];
    expect(count).toBe(0);
  });
});
