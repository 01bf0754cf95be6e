import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway, type Charge, type GatewayBehaviour } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { queueConnection, releaseQueueConnection } from '../src/queues/queue-connection.js';
import { CHARGES_QUEUE, RECONCILE_JOB } from '../src/queues/queues.constants.js';
import { startWorker, type AppProcess } from './support/app-process.js';
import { freePort } from './support/free-port.js';
import { connect } from './support/sql.js';
import { createTestApp, login, testConfig } from './support/test-app.js';
import { resumeTestQueues } from './support/test-queues.js';
import { waitFor } from './support/wait-for.js';

/**
 * Charges whose answer is lost, and orders left waiting: the built worker as a real process, the
 * fake provider (which can charge and then lose its answer, and be asked by key) and the SMTP sink.
 * Whatever is lost, each order ends with one charge at the provider (or none) and one email.
 */
describe('reconciliation: lost charge answers and stuck orders (e2e: built worker, fake provider, SMTP)', () => {
  const behaviour: GatewayBehaviour = { latencyMs: 0, failureRate: 0 };
  const gateway = createFakeGateway(behaviour);
  const sink = createSmtpSink();
  let inline: NestFastifyApplication;
  let deferred: NestFastifyApplication;
  let sql: pg.Client;
  let worker: AppProcess | undefined;
  let workerEnv: Record<string, string>;
  let buyer: Record<string, string>;
  let productId: number;
  /** Seeded orders still waiting for a charge, moved out of the sweep's way and put back after. */
  let parked: { id: number; updated_at: Date }[] = [];

  beforeAll(async () => {
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const common = {
      PAYMENT_GATEWAY_URL: gatewayUrl,
      PAYMENT_TIMEOUT_MS: '400',
      SMTP_URL: `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`,
    };
    workerEnv = {
      ...common,
      CHARGE_ATTEMPTS: '3',
      CHARGE_BACKOFF_MS: '100',
      EMAIL_BACKOFF_MS: '100',
      OUTBOX_RELAY_INTERVAL_MS: '50',
      WORKER_METRICS_PORT: '0',
      PAYMENT_RECONCILE_INTERVAL_MS: '0',
    };
    inline = await createTestApp(common);
    deferred = await createTestApp({ ...common, CHECKOUT_CHARGE_MODE: 'deferred' });
    sql = await connect();
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    await resumeTestQueues();
    buyer = await login(inline, 'user32@example.com');
    ({
      rows: [{ id: productId }],
    } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id DESC OFFSET 1 LIMIT 1`));
    await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
    worker = await startWorker(workerEnv);
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    if (parked.length)
      await sql.query(
        `UPDATE orders o SET updated_at = p.updated_at FROM unnest($1::int[], $2::timestamptz[]) AS p (id, updated_at)
         WHERE o.id = p.id`,
        [parked.map((row) => row.id), parked.map((row) => row.updated_at)],
      );
    // The sweep's scheduler stays in Redis: removed, so no later worker of another file runs it.
    const config = testConfig();
    const connection = queueConnection(config);
    const charges = new Queue(CHARGES_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    await charges.removeJobScheduler(RECONCILE_JOB.schedulerId).catch(() => undefined);
    await charges.close();
    releaseQueueConnection(connection);
    await sql?.end();
    await inline?.close();
    await deferred?.close();
    await gateway.close();
    await sink.close();
  });

  let keys = 0;
  const checkout = async (app: NestFastifyApplication) => {
    const response = await app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...buyer, 'idempotency-key': `reconcile-${process.pid}-${Date.now()}-${keys++}` },
      payload: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
    });
    return { status: response.statusCode, body: response.json() as { orderId: number; status: string } };
  };
  const chargesFor = async (orderId: number) =>
    ((await gateway.inject({ method: 'GET', url: '/charges' })).json() as Charge[]).filter(
      (charge) => charge.orderId === orderId,
    );
  const emailsFor = (orderId: number) => sink.messages.filter((message) => message.subject.includes(`#${orderId} `));
  const statusOf = async (orderId: number) =>
    (await sql.query('SELECT status::text FROM orders WHERE id = $1', [orderId])).rows[0].status as string;
  const tokenRows = async (orderId: number) =>
    (await sql.query('SELECT count(*)::int AS n FROM order_payment_tokens WHERE order_id = $1', [orderId])).rows[0]
      .n as number;
  const settledOnce = async (orderId: number, status: 'paid' | 'payment_failed', charges: number) => {
    await waitFor(async () => (await statusOf(orderId)) === status, 20_000, `order ${orderId} ${status}`);
    await waitFor(() => emailsFor(orderId).length > 0, 10_000, `order ${orderId}'s email`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
    expect(await chargesFor(orderId)).toHaveLength(charges);
    const template = status === 'paid' ? 'order-confirmation' : 'payment-failed';
    expect(emailsFor(orderId).map((message) => message.id)).toEqual([`<order-${orderId}.${template}@store.local>`]);
    expect(await tokenRows(orderId), 'the sealed token is erased at settlement').toBe(0);
  };
  const restartWorker = async (env: Record<string, string> = {}) => {
    await worker?.stop();
    worker = await startWorker({ ...workerEnv, ...env });
  };

  it.each(['timeout', 'error', 'drop'] as const)(
    'the provider charges but the answer is lost (%s) on every attempt: paid, one charge, one email',
    async (loseAnswers) => {
      behaviour.loseAnswers = loseAnswers;
      try {
        const { status, body } = await checkout(deferred);
        expect(status).toBe(202);
        await settledOnce(body.orderId, 'paid', 1);
        expect(worker!.output()).toContain(`order ${body.orderId}: the provider has its charge`);
      } finally {
        behaviour.loseAnswers = 'off';
      }
    },
  );

  it('inline: the answer is lost in the request (202 payment_pending), then the worker finds the charge', async () => {
    behaviour.loseAnswers = 'timeout';
    try {
      const { status, body } = await checkout(inline);
      expect(status).toBe(202);
      expect(body.status).toBe('payment_pending');
      await settledOnce(body.orderId, 'paid', 1);
    } finally {
      behaviour.loseAnswers = 'off';
    }
  });

  let unaskable: number;

  it('the last attempt cannot ask the provider: the order is not failed, it waits (for the sweep)', async () => {
    await restartWorker({ CHARGE_ATTEMPTS: '2' });
    Object.assign(behaviour, { loseAnswers: 'error', lookupsDown: true });
    try {
      const { body } = await checkout(deferred);
      unaskable = body.orderId;
      await waitFor(() => jobDone(body.orderId), 15_000, 'the last attempt');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await statusOf(body.orderId)).toBe('payment_pending');
      expect(await chargesFor(body.orderId)).toHaveLength(1);
      expect(emailsFor(body.orderId)).toHaveLength(0);
    } finally {
      Object.assign(behaviour, { loseAnswers: 'off', lookupsDown: false });
    }
  });

  let slow: number;

  it('the last attempt times out while the provider still charges: not found yet, so not failed (for the sweep)', async () => {
    await restartWorker({ CHARGE_ATTEMPTS: '1' });
    behaviour.latencyMs = 1_500; // past the worker's 400 ms timeout: the charge lands after the lookup
    try {
      const { body } = await checkout(deferred);
      slow = body.orderId;
      await waitFor(() => jobDone(body.orderId), 15_000, 'the only attempt');
      expect(await chargesFor(body.orderId)).toHaveLength(0); // the lookup found nothing: still in flight
      await waitFor(async () => (await chargesFor(body.orderId)).length === 1, 5_000, 'the provider to charge');
      expect(await statusOf(body.orderId)).toBe('payment_pending');
      expect(emailsFor(body.orderId)).toHaveLength(0);
    } finally {
      behaviour.latencyMs = 0;
    }
  });

  /** The charge job of the order finished (its return value says what became of it). */
  const jobDone = async (orderId: number) => {
    const { rows } = await sql.query(
      `SELECT id FROM outbox_events WHERE topic = 'charge' AND (payload->>'orderId')::int = $1`,
      [orderId],
    );
    const config = testConfig();
    const connection = queueConnection(config);
    const charges = new Queue(CHARGES_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    try {
      const job = await charges.getJob(`outbox-${rows[0].id}`);
      return (await job?.getState()) === 'completed';
    } finally {
      await charges.close();
      releaseQueueConnection(connection);
    }
  };

  it('the sweep settles stuck orders: charged but unanswered (twice) → paid; never charged → charged once; no token → failed', async () => {
    await worker?.stop();
    worker = undefined;
    // Placed while no worker runs; their charge jobs "lost" (events marked sent, nothing enqueued).
    const { body: neverCharged } = await checkout(deferred);
    const { body: tokenless } = await checkout(deferred);
    await sql.query(
      `UPDATE outbox_events SET sent_at = now() WHERE topic = 'charge' AND (payload->>'orderId')::int = ANY($1::int[])`,
      [[neverCharged.orderId, tokenless.orderId]],
    );
    await sql.query('DELETE FROM order_payment_tokens WHERE order_id = $1', [tokenless.orderId]);
    const stuck = [unaskable, slow, neverCharged.orderId, tokenless.orderId];
    ({ rows: parked } = await sql.query(
      `WITH old AS (
         SELECT id, updated_at FROM orders
         WHERE status IN ('pending', 'payment_pending') AND NOT id = ANY($1::int[]) FOR UPDATE
       ),
       moved AS (UPDATE orders o SET updated_at = now() + interval '1 day' FROM old WHERE o.id = old.id)
       SELECT id, updated_at FROM old`,
      [stuck],
    ));
    await sql.query(`UPDATE orders SET updated_at = now() - interval '1 hour' WHERE id = ANY($1::int[])`, [stuck]);
    expect(await chargesFor(neverCharged.orderId)).toHaveLength(0);

    const metricsPort = await freePort();
    worker = await startWorker({
      ...workerEnv,
      PAYMENT_RECONCILE_INTERVAL_MS: '300',
      PAYMENT_RECONCILE_AFTER_MS: '60000',
      WORKER_METRICS_PORT: String(metricsPort),
    });
    await settledOnce(unaskable, 'paid', 1);
    await settledOnce(slow, 'paid', 1);
    await settledOnce(neverCharged.orderId, 'paid', 1);
    await settledOnce(tokenless.orderId, 'payment_failed', 0);
    expect(worker.output()).toMatch(/reconciliation pass: /);
    // What each became, for Prometheus (this worker's counts: it swept these four only, each once).
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const [outcome, count] of [
      ['paid', 2],
      ['charged', 1],
      ['failed', 1],
    ] as const)
      expect(metrics).toMatch(new RegExp(`^payment_reconciliations_total\\{outcome="${outcome}"\\} ${count}$`, 'm'));
  });
});
