import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway, type Charge } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { keySlot } from '../src/common/redis/index.js';
import { queueConnection, releaseQueueConnection } from '../src/queues/queue-connection.js';
import { EMAILS_QUEUE } from '../src/queues/queues.constants.js';
import { inspectRedis, keysPerNode, mastersOf, REDIS_MODES, redisEnv, slotsOf } from './support/redis-mode.js';
import { registerVerified } from './support/accounts.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp, login, testConfig } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';
import { startWorker, type AppProcess } from './support/app-process.js';
import { resumeTestQueues } from './support/test-queues.js';

const METRICS_TOKEN = 'worker-test-metrics-token';

/**
 * The promise of checkout: no accepted order lost, none charged twice, no email lost or sent
 * twice, whatever crashes. The API runs in this process; the worker is the built worker as a real
 * process (killed and restarted here); the payment provider and the SMTP server are local stand-ins
 * over HTTP and SMTP. All of it twice: on the single Redis servers, and with both Redis roles
 * (queues, cache, rate limits) on the Redis Cluster.
 */
describe.each(REDIS_MODES)('worker: deferred charges, emails, relay (e2e: real processes, %s Redis, SMTP)', (mode) => {
  const onCluster = mode === 'cluster' ? it : it.skip;
  const behaviour = { latencyMs: 0, failureRate: 0 };
  const gateway = createFakeGateway(behaviour);
  const sink = createSmtpSink({ rejectRecipients: /^bounce/ });
  let inline: NestFastifyApplication;
  let deferred: NestFastifyApplication;
  let sql: pg.Client;
  let worker: AppProcess | undefined;
  let workerEnv: Record<string, string>;
  let buyer: Record<string, string>;
  let productId: number;

  beforeAll(async () => {
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const smtpUrl = `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`;
    const common = {
      PAYMENT_GATEWAY_URL: gatewayUrl,
      PAYMENT_BREAKER_THRESHOLD: '3',
      PAYMENT_BREAKER_HALF_OPEN_MS: '300',
      PAYMENT_TIMEOUT_MS: '1000',
      SMTP_URL: smtpUrl,
      ...redisEnv(mode),
    };
    workerEnv = {
      ...common,
      CHARGE_ATTEMPTS: '10',
      CHARGE_BACKOFF_MS: '200',
      EMAIL_BACKOFF_MS: '100',
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
      OUTBOX_RELAY_INTERVAL_MS: '50',
      WORKER_METRICS_PORT: '19464',
    };
    // Its /metrics on the app port, for this token (no operations port in tests).
    inline = await createTestApp({ ...common, METRICS_TOKEN });
    deferred = await createTestApp({ ...common, CHECKOUT_CHARGE_MODE: 'deferred' });
    sql = await connect();
    // Events left by other test files are not this file's business.
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    // Paused shared queues (left so by an earlier run) would hold every job this file waits for.
    const resumed = mode === 'single' ? await resumeTestQueues() : [];
    if (resumed.length) console.warn(`resumed the test queues ${resumed.join(', ')}: a run had left them paused`);
    buyer = await login(inline, 'user31@example.com');
    ({
      rows: [{ id: productId }],
    } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id DESC LIMIT 1`));
    await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
    worker = await startWorker(workerEnv);
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await sql?.end();
    await inline?.close();
    await deferred?.close();
    await gateway.close();
    await sink.close();
  });

  let keys = 0;
  const checkout = async (app: NestFastifyApplication, headers = buyer, token = 'tok_visa') => {
    const response = await app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...headers, 'idempotency-key': `worker-${process.pid}-${Date.now()}-${keys++}` },
      payload: { items: [{ productId, quantity: 2 }], paymentToken: token },
    });
    return { status: response.statusCode, body: response.json() };
  };
  const chargesFor = async (orderId: number) =>
    ((await gateway.inject({ method: 'GET', url: '/charges' })).json() as Charge[]).filter(
      (charge) => charge.orderId === orderId,
    );
  const emailsFor = (orderId: number) => sink.messages.filter((message) => message.subject.includes(`#${orderId} `));
  const statusOf = async (orderId: number) =>
    (await sql.query('SELECT status::text FROM orders WHERE id = $1', [orderId])).rows[0].status as string;
  const stock = async () =>
    (await sql.query('SELECT stock FROM products WHERE id = $1', [productId])).rows[0].stock as number;
  const restartWorker = async (env: Record<string, string> = {}) => {
    await worker?.stop();
    worker = await startWorker({ ...workerEnv, ...env });
  };
  /** Settles once `orderId` is paid and its one confirmation arrived; then checks nothing doubles. */
  const expectPaidOnceAndEmailedOnce = async (orderId: number) => {
    await waitFor(async () => (await statusOf(orderId)) === 'paid', 20_000, `order ${orderId} paid`);
    await waitFor(() => emailsFor(orderId).length > 0, 10_000, `order ${orderId}'s email`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
    expect(await chargesFor(orderId)).toHaveLength(1);
    expect(emailsFor(orderId).map((message) => message.id)).toEqual([
      `<order-${orderId}.order-confirmation@store.local>`,
    ]);
  };

  it('happy path: 201, one charge at the provider, one confirmation email (text and HTML) in the SMTP sink', async () => {
    const { status, body } = await checkout(inline);
    expect(status).toBe(201);
    expect(body.status).toBe('paid');
    await expectPaidOnceAndEmailedOnce(body.orderId);
    const [email] = emailsFor(body.orderId);
    expect(email.to).toEqual(['user31@example.com']);
    expect(email.subject).toBe(`Your order #${body.orderId} is confirmed`);
    const total = new Intl.NumberFormat('en-US', { style: 'currency', currency: body.currency }).format(
      body.totalCents / 100,
    );
    expect(email.text).toContain(`Total: ${total}`);
    expect(email.html).toContain(`<h2>Order #${body.orderId}</h2>`);

    // Its log line (JSON) names the queue, job and attempt it was written in.
    const sentLine = worker!
      .output()
      .split('\n')
      .find((line) => line.includes(`order ${body.orderId}: order-confirmation sent`));
    expect(JSON.parse(sentLine!)).toMatchObject({ queue: 'emails', jobId: expect.any(String), attempt: 1 });

    // The worker's own port: its job durations for Prometheus, and a liveness probe.
    const metrics = await (await fetch('http://127.0.0.1:19464/metrics')).text();
    const sent = /^queue_job_duration_seconds_count\{queue="emails",outcome="completed"\} (\d+)$/m.exec(metrics);
    expect(Number(sent?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    expect((await fetch('http://127.0.0.1:19464/health/live')).status).toBe(200);
  });

  it('provider down: the breaker opens and checkouts answer 202 fast; back up: each order charged once, emailed once', async () => {
    behaviour.failureRate = 1;
    const results: { status: number; body: { orderId: number; status: string }; elapsed: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      const result = await checkout(inline);
      results.push({ ...result, elapsed: performance.now() - started });
    }
    expect(results.map((result) => result.status)).toEqual(Array(6).fill(202));
    expect(results.every((result) => result.body.status === 'payment_pending')).toBe(true);
    // Past the breaker's threshold (3), no call reaches the provider.
    for (const result of results.slice(3)) expect(result.elapsed).toBeLessThan(200);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the worker retries and fails meanwhile
    for (const { body } of results) expect(await statusOf(body.orderId)).toBe('payment_pending');

    behaviour.failureRate = 0;
    for (const { body } of results) await expectPaidOnceAndEmailedOnce(body.orderId);
    // The worker wrote the new status from another process; the buyer still reads it at once.
    const orders = await inline.inject({ method: 'GET', url: '/orders?limit=10', headers: buyer });
    const listed = new Map(
      (orders.json().data as { id: number; status: string }[]).map((order) => [order.id, order.status]),
    );
    for (const { body } of results) expect(listed.get(body.orderId)).toBe('paid');
  });

  it('worker killed (SIGKILL) mid-charge: after a restart the charge completes once', async () => {
    behaviour.latencyMs = 1_500;
    const { status, body } = await checkout(deferred);
    expect(status).toBe(202);
    const key = `order-${body.orderId}`;
    await waitFor(
      async () => ((await gateway.inject({ method: 'GET', url: '/in-flight' })).json() as string[]).includes(key),
      10_000,
      'the charge to reach the provider',
    );
    expect(await worker!.stop('SIGKILL')).toBeNull();
    worker = undefined;
    // The provider finishes the charge the dead worker never heard back about.
    await waitFor(async () => (await chargesFor(body.orderId)).length === 1, 5_000, 'the provider to record it');
    expect(await statusOf(body.orderId)).toBe('payment_pending');
    behaviour.latencyMs = 0;
    worker = await startWorker(workerEnv);
    // Its lock lapses, the job is found stalled and runs again: same key, so the same charge.
    await expectPaidOnceAndEmailedOnce(body.orderId);
  });

  it('a crash between commit and enqueue (relay off, then on): charge and email still happen, once', async () => {
    await restartWorker({ OUTBOX_RELAY_ENABLED: 'false' });
    const { status, body } = await checkout(deferred);
    expect(status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await chargesFor(body.orderId)).toHaveLength(0);
    const { rows } = await sql.query(
      `SELECT count(*)::int AS count FROM outbox_events WHERE sent_at IS NULL AND (payload->>'orderId')::int = $1`,
      [body.orderId],
    );
    expect(rows[0].count).toBe(1);
    await restartWorker();
    await expectPaidOnceAndEmailedOnce(body.orderId);
  });

  it('after the last attempt the order fails: stock returned, a payment-failed email, once', async () => {
    await restartWorker({ CHARGE_ATTEMPTS: '2', CHARGE_BACKOFF_MS: '50' });
    behaviour.failureRate = 1;
    try {
      const before = await stock();
      const { status, body } = await checkout(deferred);
      expect(status).toBe(202);
      expect(await stock()).toBe(before - 2);
      await waitFor(async () => (await statusOf(body.orderId)) === 'payment_failed', 15_000, 'payment_failed');
      expect(await stock()).toBe(before);
      await waitFor(() => emailsFor(body.orderId).length > 0, 10_000, 'the payment-failed email');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(emailsFor(body.orderId).map((message) => message.subject)).toEqual([
        `Payment for order #${body.orderId} failed`,
      ]);
      expect(await chargesFor(body.orderId)).toHaveLength(0);
    } finally {
      behaviour.failureRate = 0;
      await restartWorker();
    }
  });

  it('a duplicate email job sends nothing more; a permanent SMTP refusal fails the job at once and keeps it', async () => {
    const { body } = await checkout(inline);
    await expectPaidOnceAndEmailedOnce(body.orderId);
    const config = testConfig(redisEnv(mode));
    const connection = queueConnection(config);
    const emails = new Queue(EMAILS_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    try {
      const duplicate = await emails.add('order-email', {
        orderId: body.orderId,
        template: 'order-confirmation',
        outboxId: 'duplicate',
      });
      await waitFor(async () => (await duplicate.getState()) === 'completed', 10_000, 'the duplicate job');
      expect((await emails.getJob(duplicate.id!))?.returnvalue).toEqual({ outcome: 'already-sent' });
      expect(emailsFor(body.orderId)).toHaveLength(1);

      // A customer whose mailbox the SMTP server refuses (550): no retries, the job stays failed.
      // (Its verification email bounces too: an account email, no order's.)
      const bouncing = await registerVerified(inline, sql, { email: `bounce-${Date.now()}@example.com` });
      const { body: order } = await checkout(inline, bouncing.headers);
      await waitFor(
        async () => (await emails.getFailed()).some((job) => job.data.orderId === order.orderId),
        10_000,
        'the refused email to fail',
      );
      const [failed] = (await emails.getFailed()).filter((job) => job.data.orderId === order.orderId);
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toMatch(/550|mailbox unavailable/);
    } finally {
      await emails.close();
      releaseQueueConnection(connection);
    }
  });

  onCluster('keeps every queue key in the hash tag slot, on one master; health and metrics read them', async () => {
    const { body } = await checkout(deferred);
    await expectPaidOnceAndEmailedOnce(body.orderId);
    const { QUEUE_PREFIX } = testConfig();
    const slot = keySlot(QUEUE_PREFIX);
    const redis = inspectRedis(mode, 'queue');
    try {
      const perNode = await keysPerNode(redis, `${QUEUE_PREFIX}:*`);
      // Jobs, their lists and sets, events, locks: BullMQ's scripts touch many of them at once.
      for (const queue of ['charges', 'emails'])
        expect(perNode.flat()).toEqual(
          expect.arrayContaining([`${QUEUE_PREFIX}:${queue}:events`, `${QUEUE_PREFIX}:${queue}:completed`]),
        );
      const holders = (await mastersOf(redis)).filter((_, index) => perNode[index].length > 0);
      expect(holders).toHaveLength(1);
      expect(await slotsOf(redis, perNode.flat())).toEqual(new Set([slot]));
      // Asked of the node that holds them (the count is per node).
      expect(await holders[0].cluster('COUNTKEYSINSLOT', slot)).toBeGreaterThanOrEqual(4);
    } finally {
      redis.disconnect();
    }
    // What reads the queues and both Redis roles besides the worker: readiness and /metrics.
    const ready = await inline.inject({ method: 'GET', url: '/health/ready' });
    for (const check of ['cache-redis', 'queue-redis', 'queue-charges', 'queue-emails'])
      expect(ready.json().details[check]?.status, check).toBe('up');
    const metrics = (
      await inline.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).body;
    expect(metrics).toMatch(/^queue_jobs\{queue="emails",state="completed"\} [1-9]/m);
  });

  it('SIGTERM lets the active charge finish before the worker exits (exit code 0)', async () => {
    behaviour.latencyMs = 800;
    try {
      const { body } = await checkout(deferred);
      await waitFor(
        async () =>
          ((await gateway.inject({ method: 'GET', url: '/in-flight' })).json() as string[]).includes(
            `order-${body.orderId}`,
          ),
        10_000,
        'the charge to reach the provider',
      );
      expect(await worker!.stop('SIGTERM')).toBe(0);
      worker = undefined;
      expect(await statusOf(body.orderId)).toBe('paid');
      expect(await chargesFor(body.orderId)).toHaveLength(1);
    } finally {
      behaviour.latencyMs = 0;
      worker = await startWorker(workerEnv);
    }
  });

  it('serves Bull Board at /admin/queues to admins only (bearer, or Basic for a browser)', async () => {
    const get = (headers: Record<string, string> = {}) =>
      inline.inject({ method: 'GET', url: '/admin/queues/api/queues', headers });
    const anonymous = await get();
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
    // A customer gets the same 401 as a wrong password: the board does not say which it was.
    expect((await get(buyer)).statusCode).toBe(401);
    const basic = (email: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
    });
    expect((await get(basic(ADMIN_EMAIL, 'wrong'))).statusCode).toBe(401);
    const admin = await get(await login(inline, ADMIN_EMAIL));
    expect(admin.statusCode).toBe(200);
    expect((admin.json().queues as { name: string }[]).map((queue) => queue.name).sort()).toEqual([
      'charges',
      'emails',
      'refunds',
    ]);
    const page = await inline.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: basic(ADMIN_EMAIL, 'password'),
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);

    // A refused caller's action never runs. The board's answers pass an async onSend hook, so an
    // async admin check let Fastify run the handler now and then after the 401 (seen: the shared
    // test queues paused by the fuzz suite's forged-token probes).
    const callers = [{}, buyer, basic(ADMIN_EMAIL, 'wrong'), { authorization: 'Bearer not.a.token' }];
    for (let i = 0; i < 40; i++) {
      const refused = await inline.inject({
        method: 'PUT',
        url: '/admin/queues/api/queues/pause',
        headers: callers[i % callers.length],
      });
      expect(refused.statusCode).toBe(401);
    }
    const config = testConfig(redisEnv(mode));
    const connection = queueConnection(config);
    const emails = new Queue(EMAILS_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    try {
      expect(await emails.isPaused()).toBe(false);
    } finally {
      await emails.close();
      releaseQueueConnection(connection);
    }
  });
});
