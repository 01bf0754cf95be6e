import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { loginOver, startApi, startWorker, type ApiProcess, type AppProcess } from './support/app-process.js';
import { startCacheRedis, stopCacheRedis } from './support/cache-redis.js';
import { checkoutUntilAnswered, expectEachAcceptedOnce, type CheckoutEntry } from './support/checkout-ledger.js';
import { startReplica, stopReplica } from './support/replicas.js';
import { connect } from './support/sql.js';
import { resumeTestQueues } from './support/test-queues.js';
import { waitFor } from './support/wait-for.js';

/**
 * The fault suite: two API instances (one charging inline, one deferred), a worker, the payment
 * provider and the SMTP server, under steady reads and checkouts, while faults are injected one
 * after another. Afterwards nothing accepted may be lost or doubled: each accepted checkout is one
 * order, charged once at the provider, confirmed by one email. `npm run test:faults` runs it at full
 * length (FAULTS_FULL=1: Redis down 10 s, provider failing 20 s); `npm test` runs it shorter.
 */
const FULL = process.env.FAULTS_FULL === '1';
const SECONDS = FULL
  ? { calm: 3, redis: 10, replica: 10, provider: 20, settle: 2 }
  : { calm: 1, redis: 3, replica: 3, provider: 4, settle: 1 };
const PRODUCTS = 20;
const BUYERS = 20;

type Phase = 'calm' | 'cache Redis down' | 'replica down' | 'provider failing' | 'worker killed' | 'API killed';
interface Read {
  phase: Phase;
  status: number | 'network';
}
interface Checkout extends CheckoutEntry {
  phase: Phase;
}

describe('fault suite: nothing accepted is lost or doubled (e2e: real processes and services)', () => {
  const behaviour = { latencyMs: 0, failureRate: 0 };
  const gateway = createFakeGateway(behaviour);
  const sink = createSmtpSink();
  const apis: ApiProcess[] = [];
  let worker: AppProcess;
  let workerEnv: Record<string, string>;
  let sql: pg.Client;
  let tokens: string[] = [];
  let productIds: number[] = [];
  let phase: Phase = 'calm';
  let running = true;
  const reads: Read[] = [];
  const checkouts: Checkout[] = [];
  const injected: { fault: string; seconds: number; held: string }[] = [];

  beforeAll(async () => {
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const common = {
      PAYMENT_GATEWAY_URL: gatewayUrl,
      SMTP_URL: `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`,
      PAYMENT_TIMEOUT_MS: '3000',
      PAYMENT_BREAKER_THRESHOLD: '3',
      PAYMENT_BREAKER_HALF_OPEN_MS: '500',
      IDEMPOTENCY_LOCK_MS: '4000',
      CHECKOUT_SAFETY_CHARGE_AFTER_MS: '4000',
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    };
    workerEnv = {
      ...common,
      CHARGE_ATTEMPTS: '30',
      CHARGE_BACKOFF_MS: '200',
      EMAIL_BACKOFF_MS: '100',
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
      OUTBOX_RELAY_INTERVAL_MS: '50',
      WORKER_METRICS_PORT: '0',
    };
    const resumed = await resumeTestQueues();
    if (resumed.length) console.warn(`resumed the test queues ${resumed.join(', ')}: a run had left them paused`);
    sql = await connect();
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    const { rows: stocked } = await sql.query<{ id: number }>(
      `UPDATE products SET stock = 1000000 WHERE id IN (SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT ${PRODUCTS}) RETURNING id`,
    );
    productIds = stocked.map((row) => row.id);
    apis.push(await startApi(3931, common), await startApi(3932, { ...common, CHECKOUT_CHARGE_MODE: 'deferred' }));
    worker = await startWorker(workerEnv);
    tokens = await Promise.all(
      Array.from({ length: BUYERS }, (_, i) => loginOver(apis[0], `user${60 + i}@example.com`)),
    );
  }, 90_000);

  afterAll(async () => {
    running = false;
    startReplica(2);
    await startCacheRedis();
    await Promise.all([...apis.map((api) => api.stop('SIGKILL')), worker?.stop('SIGKILL')]);
    await sql?.end();
    await gateway.close();
    await sink.close();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const live = () => apis.filter((api) => api.child.exitCode === null && api.child.signalCode === null);

  /** Steady reads on both instances: a product, a list page, a product's reviews. */
  async function readLoop(index: number): Promise<void> {
    for (let i = 0; running; i++) {
      const api = live()[i % live().length];
      const path = [`/products/${productIds[i % PRODUCTS]}`, '/products?limit=20', `/products/${1 + ((i * 37) % 500)}`][
        i % 3
      ];
      const at = phase;
      const status = await fetch(`${api.base}${path}`).then(
        async (response) => (await response.arrayBuffer(), response.status),
        () => 'network' as const,
      );
      reads.push({ phase: at, status });
      await sleep(10 + index);
    }
  }

  /** A client that got no answer (or 409: still in progress) retries the same key elsewhere. */
  const checkout = (api: ApiProcess, entry: Checkout) =>
    checkoutUntilAnswered(entry, tokens[entry.buyer], (attempt) =>
      attempt === 0 ? api : live()[attempt % live().length],
    );

  /** About 8 checkouts a second, alternating instances, until stopped. */
  async function checkoutLoop(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (let i = 0; running; i++) {
      const entry: Checkout = {
        key: `fault-${process.pid}-${i}`,
        buyer: i % BUYERS,
        body: JSON.stringify({
          items: [{ productId: productIds[i % PRODUCTS], quantity: 1 }],
          paymentToken: 'tok_visa',
        }),
        phase,
        first: 0,
        retries: 0,
      };
      checkouts.push(entry);
      pending.push(checkout(live()[i % live().length], entry));
      await sleep(125);
    }
    await Promise.all(pending);
  }

  it('keeps every accepted order exactly once — charged once, emailed once — through five faults', async () => {
    const load = Promise.all([readLoop(0), readLoop(1), readLoop(2), checkoutLoop()]);
    await sleep(SECONDS.calm * 1000);

    phase = 'cache Redis down';
    stopCacheRedis();
    await sleep(SECONDS.redis * 1000);
    await startCacheRedis();
    phase = 'calm';
    await sleep(SECONDS.settle * 1000);

    phase = 'replica down';
    stopReplica(2);
    await sleep(SECONDS.replica * 1000);
    startReplica(2);
    phase = 'calm';
    await sleep(SECONDS.settle * 1000);

    phase = 'provider failing';
    behaviour.failureRate = 1;
    await sleep(SECONDS.provider * 1000);
    behaviour.failureRate = 0;
    phase = 'calm';
    await sleep(SECONDS.settle * 1000);

    // The worker dies while the provider holds one of its charges.
    phase = 'worker killed';
    behaviour.latencyMs = 1_500;
    await sleep(700);
    await waitFor(
      async () => (await gateway.inject({ url: '/in-flight' })).json<string[]>().length > 0,
      20_000,
      'a charge in flight',
    );
    const inFlightAtKill = (await gateway.inject({ url: '/in-flight' })).json<string[]>().length;
    await worker.stop('SIGKILL');
    behaviour.latencyMs = 0;
    worker = await startWorker(workerEnv);
    phase = 'calm';
    await sleep(SECONDS.settle * 1000);

    // The inline instance dies while the provider holds one of its checkouts' charges.
    phase = 'API killed';
    behaviour.latencyMs = 1_500;
    await sleep(700);
    await apis[0].stop('SIGKILL');
    behaviour.latencyMs = 0;
    phase = 'calm';
    await sleep(SECONDS.settle * 1000);
    running = false;
    await load;

    // ---- after recovery
    const { orderIds, charges, emails } = await expectEachAcceptedOnce({
      checkouts,
      sql,
      gateway,
      sink,
      buyerEmails: Array.from({ length: BUYERS }, (_, i) => `user${60 + i}@example.com`),
    });

    // Reads: no 5xx while a replica or the cache Redis was down, and they kept flowing.
    const readsIn = (which: Phase) => reads.filter((read) => read.phase === which);
    for (const which of ['cache Redis down', 'replica down'] as const) {
      const during = readsIn(which);
      expect(during.length).toBeGreaterThan(20 * SECONDS.redis);
      expect(during.filter((read) => read.status !== 200)).toEqual([]);
    }

    const count = (which: Phase) => checkouts.filter((entry) => entry.phase === which).length;
    const cutOff = checkouts.filter((entry) => entry.first === 'network');
    expect(cutOff.length).toBeGreaterThan(0);
    injected.push(
      {
        fault: 'cache Redis stopped',
        seconds: SECONDS.redis,
        held: `${readsIn('cache Redis down').length} reads, 0 non-200; ${count('cache Redis down')} checkouts accepted`,
      },
      {
        fault: 'replica 2 stopped',
        seconds: SECONDS.replica,
        held: `${readsIn('replica down').length} reads, 0 non-200; ${count('replica down')} checkouts accepted`,
      },
      {
        fault: 'provider failing 100 %',
        seconds: SECONDS.provider,
        held: `${count('provider failing')} checkouts answered 202 and were charged once after`,
      },
      {
        fault: 'worker SIGKILLed mid-charge',
        seconds: 0,
        held: `${inFlightAtKill} charges at the provider when killed; restarted, every order charged once`,
      },
      {
        fault: 'API SIGKILLed mid-checkout',
        seconds: 0,
        held: `${cutOff.length} requests cut off, retried with their key on the other instance: one order each`,
      },
    );
    console.log(
      `\nfaults injected (${checkouts.length} checkouts → ${orderIds.length} orders, ${charges} charges, ${emails} emails; ${reads.length} reads)\n` +
        injected.map((row) => `  ${row.fault.padEnd(28)} ${String(row.seconds).padStart(3)} s  ${row.held}`).join('\n'),
    );
  }, 240_000);
});
