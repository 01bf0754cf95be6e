import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { loginOver, startApi, startWorker, type ApiProcess, type AppProcess } from './support/app-process.js';
import { freePort } from './support/free-port.js';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { inspectRedis, mastersOf, REDIS_MODES, redisEnv } from './support/redis-mode.js';
import { connect } from './support/sql.js';
import { waitFor } from './support/wait-for.js';

/**
 * Distributed tracing end to end: the built API and worker as real processes, started with the
 * tracing preload as `npm start` starts them, export over OTLP/HTTP to a real receiver in this
 * process. One trace per product read (HTTP → cache → query) and per checkout, across processes
 * (request → outbox row → job → charge → outbox row → job → email). Once per Redis topology: the
 * instrumented client must trace a Cluster's commands as it traces a single server's.
 */
const REDIS_PORTS = { single: [6380], cluster: [7001, 7002, 7003] };

describe.each(REDIS_MODES)('tracing (e2e: API and worker processes, OTLP/HTTP receiver, Redis %s)', (mode) => {
  const receiver = new OtlpReceiver();
  const gateway = createFakeGateway({ latencyMs: 0, failureRate: 0 });
  const sink = createSmtpSink();
  let api: ApiProcess;
  let worker: AppProcess;
  let sql: pg.Client;
  const cacheRedis = inspectRedis(mode, 'cache');

  beforeAll(async () => {
    const endpoint = await receiver.listen();
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const tracing = {
      NODE_OPTIONS: '--import=./dist/tracing/register.js',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      PAYMENT_GATEWAY_URL: gatewayUrl,
      SMTP_URL: `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`,
      // No warming at start: it could fill the entry the cache-miss test has just removed.
      CACHE_WARM_TOP_PRODUCTS: '0',
      ...redisEnv(mode),
    };
    sql = await connect();
    // Events left by other test files are not this file's business (the worker would relay them).
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    [api, worker] = await Promise.all([
      startApi(await freePort(), {
        ...tracing,
        CHECKOUT_CHARGE_MODE: 'deferred',
        RATE_LIMIT_DEFAULT: '1000000',
        RATE_LIMIT_AUTH: '1000000',
        RATE_LIMIT_ACCOUNT: '1000000',
      }),
      startWorker({ ...tracing, OUTBOX_RELAY_INTERVAL_MS: '50' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    cacheRedis?.disconnect();
    await sql?.end();
    await Promise.all([receiver.close(), gateway.close(), sink.close()]);
  });

  const span = async (what: string, matches: (span: ReceivedSpan) => boolean) => {
    await waitFor(() => receiver.spans.some(matches), 10_000, what);
    return receiver.spans.find(matches)!;
  };
  const logLineOf = (process: AppProcess, text: string) =>
    JSON.parse(
      process
        .output()
        .split('\n')
        .find((line) => line.includes(text)) ?? '{}',
    ) as Record<string, unknown>;

  it('a cache-miss product read: the HTTP span (route template) holds the miss, the cache load under it, the query under that', async () => {
    // Past the ids benchmarks and other files read (the first thousand), so no one refills it meanwhile.
    const { rows } = await sql.query(
      `SELECT id FROM products WHERE status = 'active' AND id > 5000 ORDER BY id LIMIT 1 OFFSET $1`,
      [Math.floor(Math.random() * 10_000)],
    );
    const productId = rows[0].id as number;
    // A fresh process has nothing in L1; without its Redis entry the read is a miss.
    for (const node of await mastersOf(cacheRedis))
      for await (const keys of node.scanStream({ match: `store-api:test:products:v*:${productId}`, count: 10_000 }))
        for (const key of keys as string[]) await node.unlink(key);

    const response = await fetch(`${api.base}/products/${productId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-cache')).toBe('MISS');
    const requestId = response.headers.get('x-request-id')!;

    const http = await span('the HTTP span', (s) => s.name === 'GET /products/:id' && s.events.includes('cache.miss'));
    expect(http).toMatchObject({ service: 'store-api', parentSpanId: undefined, kind: 2 });
    expect(http.attributes).toMatchObject({ 'http.route': '/products/:id', 'http.response.status_code': 200 });
    const load = await span('the cache load', (s) => s.name === 'cache.load' && s.traceId === http.traceId);
    expect(load.parentSpanId).toBe(http.spanId);
    const operation = await span(
      'the Prisma operation',
      (s) => s.name === 'prisma:client:operation' && s.traceId === http.traceId,
    );
    expect(operation.parentSpanId).toBe(load.spanId);
    const query = await span('the SQL query', (s) => s.name === 'prisma:client:db_query' && s.traceId === http.traceId);
    expect(query.parentSpanId).toBe(operation.spanId);
    // The cache's Redis reads are in the same trace, under the request, sent to this mode's servers.
    const redisRead = receiver.spans.find(
      (s) => s.traceId === http.traceId && s.name === 'get' && s.parentSpanId === http.spanId,
    );
    expect(redisRead?.attributes['db.system.name']).toBe('redis');
    expect(REDIS_PORTS[mode]).toContain(redisRead?.attributes['server.port']);
    // The access log line carries the trace.
    await waitFor(() => api.output().includes(requestId), 5_000, 'the access log line');
    expect(logLineOf(api, requestId)).toMatchObject({ trace_id: http.traceId, span_id: http.spanId });
  });

  it('a request that brings a traceparent is traced as its child', async () => {
    const traceId = crypto.randomUUID().replaceAll('-', '');
    const response = await fetch(`${api.base}/products?limit=1`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(200);
    const http = await span('the request span', (s) => s.traceId === traceId && s.kind === 2);
    expect(http).toMatchObject({ name: 'GET /products', parentSpanId: '00f067aa0ba902b7' });
  });

  it('a deferred checkout: charge and email run in the worker process, in the request’s trace, each under its parent', async () => {
    const { rows } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id DESC LIMIT 1`);
    await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [rows[0].id]);
    const authorization = await loginOver(api, 'user32@example.com');
    const response = await fetch(`${api.base}/checkout`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', 'idempotency-key': `tracing-${Date.now()}` },
      body: JSON.stringify({ items: [{ productId: rows[0].id, quantity: 1 }], paymentToken: 'tok_visa' }),
    });
    expect(response.status).toBe(202);
    const { orderId } = (await response.json()) as { orderId: number };

    const http = await span('the checkout request', (s) => s.name === 'POST /checkout' && s.service === 'store-api');
    const inTrace = (name: string) => (s: ReceivedSpan) => s.name === name && s.traceId === http.traceId;
    // The relay's hand-off to the queue (a producer span), then the job under it.
    const relayed = await span('the relay sending the charge', inTrace('charges send'));
    expect(relayed).toMatchObject({ service: 'store-worker', parentSpanId: http.spanId, kind: 4 });
    const charge = await span('the charge job', inTrace('charges process'));
    expect(charge).toMatchObject({ service: 'store-worker', parentSpanId: relayed.spanId, kind: 5 });
    const payment = await span('the provider call', inTrace('payment charge'));
    expect(payment).toMatchObject({ parentSpanId: charge.spanId, kind: 3 });
    expect(payment.attributes['payment.outcome']).toBe('charged');
    // The settlement wrote the email's outbox row inside the charge job's span.
    const emailRelayed = await span('the relay sending the email', inTrace('emails send'));
    expect(emailRelayed).toMatchObject({ parentSpanId: charge.spanId, kind: 4 });
    const email = await span('the email job', inTrace('emails process'));
    expect(email).toMatchObject({ service: 'store-worker', parentSpanId: emailRelayed.spanId });
    const send = await span('the SMTP send', inTrace('smtp send'));
    expect(send.parentSpanId).toBe(email.spanId);
    expect(sink.messages.some((message) => message.subject.includes(`#${orderId} `))).toBe(true);
    // The worker's log lines carry the trace too.
    expect(logLineOf(worker, `order ${orderId}: order-confirmation sent`)).toMatchObject({
      trace_id: http.traceId,
      span_id: email.spanId,
    });
  });
});
