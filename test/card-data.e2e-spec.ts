import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway, type GatewayBehaviour } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { queueConnection, releaseQueueConnection } from '../src/queues/queue-connection.js';
import { CHARGES_QUEUE } from '../src/queues/queues.constants.js';
import { loginOver, startApi, startWorker, type ApiProcess, type AppProcess } from './support/app-process.js';
import { freePorts } from './support/free-port.js';
import { findInDatabase, findInRedis } from './support/secret-scan.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, testConfig } from './support/test-app.js';
import { resumeTestQueues } from './support/test-queues.js';
import { waitFor } from './support/wait-for.js';

/**
 * No payment token at rest: after checkouts (deferred, inline, inline with the provider down) and
 * after they settle, the token is in no table of the database (every row as text), no key of either
 * Redis (cache and queues: job data, events, Bull Board's source) and no line the API or worker
 * logged. The API and worker run as built processes so that their whole output is read.
 */
describe('card data: no payment token in the database, Redis, Bull Board or logs (e2e: built API and worker)', () => {
  const behaviour: GatewayBehaviour = { latencyMs: 0, failureRate: 0 };
  const gateway = createFakeGateway(behaviour);
  const sink = createSmtpSink();
  const config = testConfig();
  let env: Record<string, string>;
  let inline: ApiProcess;
  let deferred: ApiProcess;
  let worker: AppProcess | undefined;
  let sql: pg.Client;
  let buyer: { inline: string; deferred: string };
  let productId: number;
  const tokens: string[] = [];
  /** What workers stopped so far wrote. */
  let workerLogs = '';
  const stopWorker = async () => {
    await worker?.stop();
    workerLogs += worker?.output() ?? '';
    worker = undefined;
  };
  /** A token of its own per checkout, so a find names the step that leaked it. */
  const newToken = () => {
    const token = `tok_card_${randomBytes(9).toString('hex')}`;
    tokens.push(token);
    return token;
  };

  beforeAll(async () => {
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    env = {
      PAYMENT_GATEWAY_URL: gatewayUrl,
      PAYMENT_BREAKER_THRESHOLD: '100',
      SMTP_URL: `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`,
      CHARGE_BACKOFF_MS: '100',
      EMAIL_BACKOFF_MS: '100',
      OUTBOX_RELAY_INTERVAL_MS: '50',
      WORKER_METRICS_PORT: '0',
      CACHE_WARM_TOP_PRODUCTS: '0',
      // As testConfig: the limits' counters in Redis are shared with the files run before this one.
      RATE_LIMIT_DEFAULT: '1000000',
      RATE_LIMIT_AUTH: '1000000',
      RATE_LIMIT_ACCOUNT: '1000000',
    };
    sql = await connect();
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    await resumeTestQueues();
    const [inlinePort, deferredPort] = await freePorts(2);
    // Debug level: the most an operator could turn on must not show a token either.
    inline = await startApi(inlinePort, { ...env, LOG_LEVEL: 'debug' });
    deferred = await startApi(deferredPort, { ...env, LOG_LEVEL: 'debug', CHECKOUT_CHARGE_MODE: 'deferred' });
    buyer = {
      inline: await loginOver(inline, 'user33@example.com'),
      deferred: await loginOver(deferred, 'user33@example.com'),
    };
    ({
      rows: [{ id: productId }],
    } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id DESC OFFSET 2 LIMIT 1`));
    await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await inline?.stop('SIGKILL');
    await deferred?.stop('SIGKILL');
    await sql?.end();
    await gateway.close();
    await sink.close();
  });

  let keys = 0;
  const checkout = async (api: ApiProcess, token: string) => {
    const response = await fetch(`${api.base}/checkout`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: api === inline ? buyer.inline : buyer.deferred,
        'idempotency-key': `card-${process.pid}-${Date.now()}-${keys++}`,
      },
      body: JSON.stringify({ items: [{ productId, quantity: 1 }], paymentToken: token }),
    });
    return { status: response.status, body: (await response.json()) as { orderId: number; status: string } };
  };
  const statusOf = async (orderId: number) =>
    (await sql.query('SELECT status::text FROM orders WHERE id = $1', [orderId])).rows[0].status as string;
  const sealedOf = async (orderId: number) =>
    (await sql.query('SELECT ciphertext FROM order_payment_tokens WHERE order_id = $1', [orderId])).rows.map(
      (row: { ciphertext: string }) => row.ciphertext,
    );
  /** Every token so far, in the database and both Redis databases: nothing. */
  const expectNowhere = async (when: string) => {
    for (const token of tokens) {
      expect(await findInDatabase(sql, token), `${when}: ${token} in the database`).toEqual([]);
      expect(await findInRedis(config.REDIS_QUEUE_URL!, token), `${when}: ${token} in the queue Redis`).toEqual([]);
      expect(await findInRedis(config.REDIS_CACHE_URL!, token), `${when}: ${token} in the cache Redis`).toEqual([]);
    }
  };
  const chargesQueue = async <T>(use: (queue: Queue) => Promise<T>): Promise<T> => {
    const connection = queueConnection(config);
    const queue = new Queue(CHARGES_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    try {
      return await use(queue);
    } finally {
      await queue.close();
      releaseQueueConnection(connection);
    }
  };

  it('tokens of an earlier version: the migration takes them out of the outbox, the worker seals them and scrubs old jobs', async () => {
    const legacy = newToken();
    const { status, body } = await checkout(deferred, legacy);
    expect(status).toBe(202);
    // What an earlier version left: the token in clear in the charge event, and in a job's data.
    await sql.query('DELETE FROM order_payment_tokens WHERE order_id = $1', [body.orderId]);
    await sql.query(
      `UPDATE outbox_events SET payload = payload || jsonb_build_object('paymentToken', $2::text)
       WHERE topic = 'charge' AND (payload->>'orderId')::int = $1`,
      [body.orderId, legacy],
    );
    const oldJob = await chargesQueue((queue) =>
      queue.add(
        'deferred-charge',
        { orderId: body.orderId, paymentToken: legacy, outboxId: 'legacy' },
        { delay: 3_600_000 },
      ),
    );
    expect(await findInDatabase(sql, legacy)).toEqual(['outbox_events: 1']);

    // The migration's hand-written part, again (it is written to run on any data).
    const [migration] = readdirSync('prisma/migrations').filter((name) => name.endsWith('_order_payment_tokens'));
    const text = readFileSync(`prisma/migrations/${migration}/migration.sql`, 'utf8');
    await sql.query(text.slice(text.indexOf('-- Hand-written')));
    expect(await sealedOf(body.orderId)).toEqual([`legacy:${legacy}`]);
    expect(await findInDatabase(sql, legacy)).toEqual(['order_payment_tokens: 1']);

    // During a rollout, an instance of the earlier version writes another such event after the migration.
    const rollout = newToken();
    const { body: late } = await checkout(deferred, rollout);
    await sql.query('DELETE FROM order_payment_tokens WHERE order_id = $1', [late.orderId]);
    await sql.query(
      `UPDATE outbox_events SET payload = payload || jsonb_build_object('paymentToken', $2::text)
       WHERE topic = 'charge' AND (payload->>'orderId')::int = $1`,
      [late.orderId, rollout],
    );

    // The worker's boot: both sealed, the old job scrubbed (the rest of its data kept).
    worker = await startWorker(env);
    // At least: a run that stopped half-way (a broken build) may have left more of them behind.
    const [, sealed, removed] = /legacy payment tokens: (\d+) sealed in the database, (\d+) removed/.exec(
      worker.output(),
    )!;
    expect(Number(sealed)).toBeGreaterThanOrEqual(2);
    expect(Number(removed)).toBeGreaterThanOrEqual(1);
    expect(await chargesQueue(async (queue) => (await queue.getJob(oldJob.id!))?.data)).toEqual({
      orderId: body.orderId,
      outboxId: 'legacy',
    });
    for (const orderId of [body.orderId, late.orderId])
      await waitFor(
        async () => (await statusOf(orderId)) === 'paid',
        15_000,
        `order ${orderId}'s sealed token charged`,
      );
    await chargesQueue((queue) => queue.remove(oldJob.id!));
    await expectNowhere('after the legacy tokens were sealed');

    // A job an earlier version's relay enqueued after the boot (token in its data, none in the
    // database) is still charged, not failed; the next boot scrubs such a job.
    const relayed = newToken();
    await stopWorker();
    const { body: third } = await checkout(deferred, relayed);
    await sql.query('DELETE FROM order_payment_tokens WHERE order_id = $1', [third.orderId]);
    await sql.query(
      `UPDATE outbox_events SET sent_at = now() WHERE topic = 'charge' AND (payload->>'orderId')::int = $1`,
      [third.orderId],
    );
    worker = await startWorker(env);
    const oldRelayed = await chargesQueue((queue) =>
      queue.add('deferred-charge', { orderId: third.orderId, paymentToken: relayed, outboxId: 'rollout' }),
    );
    await waitFor(async () => (await statusOf(third.orderId)) === 'paid', 15_000, 'the old job charged');
    await chargesQueue((queue) => queue.remove(oldRelayed.id!));
    await expectNowhere('after an old job was charged');
  });

  it('deferred: while the order waits, only the sealed token is stored; after settlement, nothing', async () => {
    await stopWorker();
    const token = newToken();
    const { status, body } = await checkout(deferred, token);
    expect(status).toBe(202);
    expect(await sealedOf(body.orderId)).toEqual([expect.stringMatching(/^v1\./)]);
    const { rows: events } = await sql.query(
      `SELECT payload FROM outbox_events WHERE topic = 'charge' AND (payload->>'orderId')::int = $1`,
      [body.orderId],
    );
    expect(events).toEqual([{ payload: { orderId: body.orderId } }]);
    await expectNowhere('deferred, pending');

    worker = await startWorker(env);
    await waitFor(async () => (await statusOf(body.orderId)) === 'paid', 15_000, 'paid');
    expect(await sealedOf(body.orderId)).toEqual([]);
    await expectNowhere('deferred, settled');
  });

  it('inline: charged in the request, and with the provider down (the worker charges later)', async () => {
    const paid = await checkout(inline, newToken());
    expect(paid.status).toBe(201);
    expect(await sealedOf(paid.body.orderId)).toEqual([]);
    await expectNowhere('inline, paid');

    behaviour.failureRate = 1;
    let waiting: { status: number; body: { orderId: number } };
    try {
      waiting = await checkout(inline, newToken());
      expect(waiting.status).toBe(202);
      expect(await sealedOf(waiting.body.orderId)).toEqual([expect.stringMatching(/^v1\./)]);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the worker's attempts meanwhile
      await expectNowhere('inline, provider down');
    } finally {
      behaviour.failureRate = 0;
    }
    await waitFor(
      async () => (await statusOf(waiting.body.orderId)) === 'paid',
      20_000,
      'paid once the provider is up',
    );
    await expectNowhere('inline, settled by the worker');
  });

  it('Bull Board shows charge jobs with the order id only; no log line of the API or worker holds a token', async () => {
    const admin = await loginOver(inline, ADMIN_EMAIL);
    const board = await fetch(
      `${inline.base}/admin/queues/api/queues?activeQueue=charges&status=completed&page=1&jobsPerPage=50`,
      { headers: { authorization: admin } },
    );
    expect(board.status).toBe(200);
    const text = await board.text();
    expect(text).toContain('"orderId"');
    for (const token of tokens) expect(text).not.toContain(token);

    const logs = { api: inline.output() + deferred.output(), worker: workerLogs + worker!.output() };
    expect(logs.api.length).toBeGreaterThan(1_000); // debug lines were written: there was something to read
    for (const token of tokens) {
      expect(logs.api, `${token} in the API's log`).not.toContain(token);
      expect(logs.worker, `${token} in the worker's log`).not.toContain(token);
    }
  });
});
