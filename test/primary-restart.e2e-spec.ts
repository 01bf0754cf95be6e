import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { loginOver, startApi, startWorker, type ApiProcess, type AppProcess } from './support/app-process.js';
import {
  checkoutUntilAnswered,
  expectEachAcceptedOnce,
  type Answer,
  type CheckoutEntry,
} from './support/checkout-ledger.js';
import { freePorts } from './support/free-port.js';
import { startPrimary, stopPrimary } from './support/replicas.js';
import { connect } from './support/sql.js';
import { resumeTestQueues } from './support/test-queues.js';
import { waitFor } from './support/wait-for.js';

/**
 * The real primary restarted (fast stop, 3 s down, start) under reads, writes and checkouts on two
 * API instances (one charging inline with the cache on, one deferred with the cache off, so its
 * reads reach the replicas), a worker, the payment provider and the SMTP server. While it is down,
 * reads are served by the replicas, writes are 503 problems with Retry-After at once (no hang, no
 * 500); after it, the pools, the relay and the worker recover by themselves; and every checkout its
 * client retried with the same key ends as one order, charged once, emailed once.
 */
const DOWN_MS = 3_000;
/** DB_POOL_ACQUIRE_TIMEOUT_MS's default: no request may wait on the database longer. */
const ACQUIRE_TIMEOUT_MS = 2_000;
/** Requests succeed again within this long after the primary accepts connections. */
const RECOVERY_MS = 5_000;
const PRODUCTS = 20;
const BUYERS = 20;
const buyerEmail = (buyer: number) => `user${80 + buyer}@example.com`;

type Kind = 'read' | 'write' | 'checkout' | 'ready';
interface Request extends Omit<Answer, 'body'> {
  kind: Kind;
  api: number;
  /** A problem's detail. */
  detail?: string;
}

describe('primary restart under load (e2e: the real primary, real processes and services)', () => {
  const gateway = createFakeGateway({ latencyMs: 0, failureRate: 0 });
  const sink = createSmtpSink();
  const apis: ApiProcess[] = [];
  let worker: AppProcess;
  let sql: pg.Client;
  let tokens: string[] = [];
  let admin = '';
  let productIds: number[] = [];
  let patched = 0;
  let running = true;
  const requests: Request[] = [];
  const checkouts: CheckoutEntry[] = [];
  /** performance.now() marks of the restart. */
  const marks = { stopIssued: 0, stopped: 0, startIssued: 0, started: 0 };

  beforeAll(async () => {
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const common = {
      PAYMENT_GATEWAY_URL: gatewayUrl,
      SMTP_URL: `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`,
      PAYMENT_TIMEOUT_MS: '3000',
      IDEMPOTENCY_LOCK_MS: '4000',
      CHECKOUT_SAFETY_CHARGE_AFTER_MS: '4000',
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    };
    const resumed = await resumeTestQueues();
    if (resumed.length) console.warn(`resumed the test queues ${resumed.join(', ')}: a run had left them paused`);
    sql = await connect();
    const { rows: stocked } = await sql.query<{ id: number }>(
      `UPDATE products SET stock = 1000000 WHERE id IN (SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT ${PRODUCTS}) RETURNING id`,
    );
    productIds = stocked.map((row) => row.id);
    const [inlinePort, deferredPort] = await freePorts(2);
    apis.push(
      await startApi(inlinePort, common),
      await startApi(deferredPort, { ...common, CHECKOUT_CHARGE_MODE: 'deferred', CACHE_ENABLED: 'false' }),
    );
    worker = await startWorker({
      ...common,
      CHARGE_ATTEMPTS: '30',
      CHARGE_BACKOFF_MS: '200',
      EMAIL_BACKOFF_MS: '100',
      OUTBOX_RELAY_INTERVAL_MS: '50',
      WORKER_METRICS_PORT: '0',
    });
    tokens = await Promise.all(Array.from({ length: BUYERS }, (_, i) => loginOver(apis[0], buyerEmail(i))));
    admin = await loginOver(apis[0], 'admin@example.com');
    const created = await fetch(`${apis[0].base}/products`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        sku: `RESTART-${process.pid}-${Date.now()}`,
        name: 'Restart probe',
        priceCents: 100,
        categoryId: 1,
      }),
    });
    expect(created.status).toBe(201);
    patched = ((await created.json()) as { id: number }).id;
  }, 90_000);

  afterAll(async () => {
    running = false;
    try {
      await Promise.allSettled([...apis.map((api) => api.stop('SIGKILL')), worker?.stop('SIGKILL')]);
    } finally {
      await startPrimary(); // whatever happened above, the shared primary runs again
    }
    await sql?.end().catch(() => undefined);
    if (patched) {
      const cleanup = await connect();
      await cleanup.query(`UPDATE products SET status = 'archived' WHERE id = $1`, [patched]);
      await cleanup.end();
    }
    await gateway.close();
    await sink.close();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function send(kind: Kind, api: number, path: string, init: RequestInit = {}): Promise<void> {
    const sentAt = performance.now();
    const answer = await fetch(`${apis[api].base}${path}`, init).then(
      async (response) => {
        const text = await response.text();
        const contentType = response.headers.get('content-type');
        return {
          status: response.status,
          contentType,
          retryAfter: response.headers.get('retry-after'),
          detail: contentType?.startsWith('application/problem+json')
            ? (JSON.parse(text) as { detail?: string }).detail
            : undefined,
        };
      },
      () => ({ status: 'network' as const, contentType: null, retryAfter: null }),
    );
    requests.push({ kind, api, sentAt, ms: performance.now() - sentAt, ...answer });
  }

  async function readLoop(index: number): Promise<void> {
    for (let i = 0; running; i++) {
      const path = [`/products/${productIds[i % PRODUCTS]}`, '/products?limit=20', `/products/${1 + ((i * 37) % 500)}`][
        i % 3
      ];
      await send('read', (i + index) % 2, path);
      await sleep(10 + index);
    }
  }

  /** An admin write (the price of the test's own product), every 100 ms, alternating instances. */
  async function writeLoop(): Promise<void> {
    for (let i = 0; running; i++) {
      await send('write', i % 2, `/products/${patched}`, {
        method: 'PATCH',
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: JSON.stringify({ priceCents: 100 + (i % 1000) }),
      });
      await sleep(100);
    }
  }

  async function readinessLoop(): Promise<void> {
    for (let i = 0; running; i++) {
      await send('ready', i % 2, '/health/ready');
      await sleep(50);
    }
  }

  /** About 8 checkouts a second, alternating instances; a 503, 409 or no answer is retried with the same key. */
  async function checkoutLoop(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (let i = 0; running; i++) {
      const entry: CheckoutEntry = {
        key: `restart-${process.pid}-${i}`,
        buyer: i % BUYERS,
        body: JSON.stringify({
          items: [{ productId: productIds[i % PRODUCTS], quantity: 1 }],
          paymentToken: 'tok_visa',
        }),
        first: 0,
        retries: 0,
      };
      checkouts.push(entry);
      let target = 0;
      pending.push(
        checkoutUntilAnswered(
          entry,
          tokens[entry.buyer],
          (attempt) => apis[(target = (i + attempt) % 2)],
          ({ body, ...answer }) => requests.push({ kind: 'checkout', api: target, detail: body.detail, ...answer }),
        ),
      );
      await sleep(125);
    }
    await Promise.all(pending);
  }

  it('serves reads from the replicas, refuses writes with 503 + Retry-After at once, recovers by itself, and loses or doubles no checkout', async () => {
    // What the processes said that a failure needs: errors (level 50+) and crashes (not JSON).
    onTestFailed(() => {
      for (const [name, child] of [...apis.map((api, i) => [`api ${i}`, api] as const), ['worker', worker] as const])
        console.log(
          `--- ${name}\n` +
            child
              .output()
              .split('\n')
              .filter((line) => line && (!line.startsWith('{') || /"level":(50|60)/.test(line)))
              .slice(-40)
              .join('\n'),
        );
    });
    const load = Promise.all([readLoop(0), readLoop(1), readLoop(2), writeLoop(), readinessLoop(), checkoutLoop()]);
    await sleep(2_000);

    await sql.end();
    marks.stopIssued = performance.now();
    try {
      await stopPrimary();
      marks.stopped = performance.now();
      await sleep(DOWN_MS);
    } finally {
      marks.startIssued = performance.now();
      await startPrimary();
      marks.started = performance.now();
    }
    await sleep(RECOVERY_MS + 4_000);
    running = false;
    await load;
    sql = await connect();

    const of = (kind: Kind, which: (request: Request) => boolean = () => true) =>
      requests.filter((request) => request.kind === kind && which(request));
    const inGap = (request: Request) =>
      request.sentAt >= marks.stopped && request.sentAt + request.ms <= marks.startIssued;
    // Not a failure: a 409, which a checkout retried after the restart may meet while its own key is
    // still locked (IDEMPOTENCY_LOCK_MS): that is the key doing its job, not the database failing.
    const failed = (request: Request) =>
      request.kind === 'ready' ? request.status !== 200 : request.status === 'network' || request.status >= 500;
    const summary = (list: Request[]) =>
      list.map(
        (request) =>
          `${request.kind}@${request.api} ${request.status} ${Math.round(request.ms)} ms, sent ${Math.round(request.sentAt - marks.stopIssued)} ms after the stop${request.detail ? ` (${request.detail})` : ''}`,
      );

    // No 500 and no dropped connection, ever. While the primary is down nothing waits for it: every
    // answer within the acquire timeout. A request sent once the stop began is refused after at most
    // one connection attempt (the pool's breaker refuses the next ones at once): within the acquire
    // timeout too, give or take this loaded machine's scheduling.
    expect(summary(requests.filter((request) => request.status === 'network' || request.status === 500))).toEqual([]);
    expect(
      summary(
        requests.filter(
          (request) =>
            (inGap(request) && request.ms > ACQUIRE_TIMEOUT_MS) ||
            (request.sentAt >= marks.stopIssued && failed(request) && request.ms > ACQUIRE_TIMEOUT_MS + 500),
        ),
      ),
    ).toEqual([]);

    // While the primary is down: reads answered (by the replicas), writes refused at once with 503 + Retry-After.
    const gapReads = of('read', inGap);
    expect(gapReads.length).toBeGreaterThan(20);
    expect(summary(gapReads.filter((read) => read.status !== 200))).toEqual([]);
    const gapWrites = [...of('write', inGap), ...of('checkout', inGap)];
    expect(gapWrites.length).toBeGreaterThan(20);
    for (const write of gapWrites) {
      expect(write.status).toBe(503);
      expect(write.contentType).toMatch(/^application\/problem\+json/);
      expect(Number(write.retryAfter)).toBeGreaterThan(0);
    }
    // Readiness says so (the primary is required), on both instances.
    for (const api of [0, 1]) expect(of('ready', (r) => inGap(r) && r.api === api && r.status === 503)).not.toEqual([]);

    // After, without restarting anything: every kind succeeds again on both instances within
    // RECOVERY_MS of the primary accepting connections, and the primary is never "unavailable" again
    // after that. (Until the replicas reconnect, every read goes to a primary that has just
    // restarted: a pool that stays full past its acquire timeout answers "busy", a 503 of its own.)
    const recovery: Record<string, number> = {};
    for (const kind of ['read', 'write', 'checkout', 'ready'] as const) {
      for (const api of [0, 1]) {
        const after = of(kind, (request) => request.api === api && request.sentAt >= marks.started);
        const firstSuccess = Math.min(
          ...after.filter((request) => !failed(request)).map((request) => request.sentAt + request.ms - marks.started),
        );
        recovery[`${kind}@${api}`] = Math.round(firstSuccess);
        expect(
          firstSuccess,
          `first ${kind} answered on instance ${api} after the start; around the start: ${summary(
            of(kind, (request) => request.sentAt + request.ms >= marks.startIssued).slice(0, 12),
          ).join('; ')}`,
        ).toBeLessThan(RECOVERY_MS);
      }
    }
    const unreachable = (request: Request) =>
      request.status === 'network' || / is unavailable\./.test(request.detail ?? '');
    expect(
      summary(requests.filter((request) => unreachable(request) && request.sentAt > marks.started + RECOVERY_MS)),
    ).toEqual([]);
    expect(
      [...apis, worker].map((process) => process.child.exitCode ?? process.child.signalCode),
      'no process died',
    ).toEqual([null, null, null]);

    // Nothing accepted lost or doubled (checkouts answered 503 were retried with their key).
    const ledger = await expectEachAcceptedOnce({
      checkouts,
      sql,
      gateway,
      sink,
      buyerEmails: Array.from({ length: BUYERS }, (_, i) => buyerEmail(i)),
    });
    // The replicas lost their WAL stream with the primary and reconnect by themselves.
    await waitFor(
      async () =>
        (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'`))
          .rows[0].n >= 2,
      20_000,
      'both replicas streaming again',
    );

    const count = (list: Request[], status: number) => list.filter((request) => request.status === status).length;
    console.log(
      `\nprimary restart: down ${Math.round(marks.startIssued - marks.stopped)} ms (stop took ${Math.round(marks.stopped - marks.stopIssued)} ms, start ${Math.round(marks.started - marks.startIssued)} ms)\n` +
        `  in the gap: ${gapReads.length} reads (${count(gapReads, 200)} × 200), ${gapWrites.length} writes/checkouts (${count(gapWrites, 503)} × 503 + Retry-After)\n` +
        `  slowest answer of the run: ${Math.round(Math.max(...requests.map((request) => request.ms)))} ms; ` +
        `first success after the start (ms): ${JSON.stringify(recovery)}\n` +
        `  ${checkouts.length} checkouts (${checkouts.filter((entry) => entry.retries > 0).length} retried) → ${ledger.orderIds.length} orders, ${ledger.charges} charges, ${ledger.emails} emails`,
    );
  }, 180_000);
});
