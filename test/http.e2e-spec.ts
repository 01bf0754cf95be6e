import http from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { loginOver, startApi } from './support/app-process.js';
import { ADMIN_EMAIL, createTestApp, login, testConfig } from './support/test-app.js';
import { tcpProxy } from './support/tcp-proxy.js';

describe('HTTP hardening (e2e)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ CORS_ORIGINS: 'https://shop.example' });
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('compresses responses over 1 KB with brotli or gzip when asked, not smaller ones, not with x-no-compression', async () => {
    const brotli = await get('/products?limit=50', { 'accept-encoding': 'br' });
    expect(brotli.headers['content-encoding']).toBe('br');
    const plain = JSON.parse(brotliDecompressSync(brotli.rawPayload).toString());
    expect(plain.data).toHaveLength(50);
    expect(brotli.rawPayload.length).toBeLessThan(JSON.stringify(plain).length / 2);

    const gzip = await get('/products?limit=50', { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString()).data).toHaveLength(50);

    const small = await get('/health/live', { 'accept-encoding': 'br, gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.json()).toEqual({ status: 'ok' });

    const refused = await get('/products?limit=50', { 'accept-encoding': 'br, gzip', 'x-no-compression': '1' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.json().data).toHaveLength(50);
  });

  it("sends an API's security headers, errors included, and not helmet's HTML-only ones", async () => {
    for (const response of [await get('/products?limit=1'), await get('/no-such-route')]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
      for (const name of ['x-powered-by', 'x-dns-prefetch-control', 'x-download-options', 'x-xss-protection'])
        expect(response.headers[name], name).toBeUndefined();
    }
  });

  it('echoes a sane x-request-id, and generates one otherwise', async () => {
    expect((await get('/health/live', { 'x-request-id': 'abc-123.4' })).headers['x-request-id']).toBe('abc-123.4');
    const generated = (await get('/health/live')).headers['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = (await get('/health/live', { 'x-request-id': 'x'.repeat(500) })).headers['x-request-id'];
    expect(hostile).toMatch(/^[0-9a-f-]{36}$/);
    // Errors carry it too.
    expect((await get('/products/abc', { 'x-request-id': 'trace-1' })).headers['x-request-id']).toBe('trace-1');
  });

  it('allows the configured browser origin only, exposing the headers clients need', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/checkout',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,idempotency-key,content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    const simple = await get('/products?limit=1', { origin: 'https://shop.example' });
    expect(simple.headers['access-control-expose-headers']).toMatch(/X-Consistency-Token/);
    const other = await get('/products?limit=1', { origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a body over the limit with a 413 problem', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1_100_000) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await login(app, 'user7@example.com')).authorization).toMatch(/^Bearer /);
  });
});

describe('graceful shutdown (the built API as a process)', () => {
  it('lets a slow in-flight request finish on SIGTERM, refuses new connections, and exits 0', async () => {
    const gateway = createFakeGateway({ latencyMs: 1_500, failureRate: 0 });
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    const api = await startApi(3911, {
      LOG_LEVEL: 'warn',
      PAYMENT_GATEWAY_URL: gatewayUrl,
      // Earlier test files' logins share the Redis counters; this test is about shutdown.
      RATE_LIMIT_ENABLED: 'false',
    });
    const { base } = api;
    try {
      const authorization = await loginOver(api, 'user8@example.com');
      const slow = fetch(`${base}/checkout`, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/json',
          'idempotency-key': `shutdown-${Date.now()}`,
        },
        body: JSON.stringify({ items: [{ productId: 3, quantity: 1 }], paymentToken: 'tok_visa' }),
      });
      await new Promise((resolve) => setTimeout(resolve, 500)); // the charge is at the provider now
      api.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const refused = await fetch(`${base}/health/live`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(refused);
      const response = await slow;
      expect(response.status, api.output()).toBe(201);
      expect((await response.json()).status).toBe('paid');
      expect(await api.exited).toBe(0);
    } finally {
      await api.stop('SIGKILL');
      await gateway.close();
    }
  });

  it('closes a keep-alive connection once its streamed response ends after SIGTERM, so the process exits', async () => {
    // Replicas behind a slow link: the export's 1,000-row batches take seconds, so its response is
    // still being written when the signal comes (not already in the socket buffers).
    const config = testConfig();
    const slow = await Promise.all(
      config.DATABASE_REPLICA_URLS.map((url) => tcpProxy(Number(new URL(url).port), { delayMs: 100 })),
    );
    const api = await startApi(3912, {
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      DATABASE_REPLICA_URLS: config.DATABASE_REPLICA_URLS.map((url, index) => slow[index].url(url)).join(','),
    });
    const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      const authorization = await loginOver(api, ADMIN_EMAIL);
      const today = new Date().toISOString().slice(0, 10);
      const yearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
      const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http
          .get(
            `${api.base}/admin/orders/export?format=ndjson&from=${yearAgo}&to=${today}`,
            { agent, headers: { authorization } },
            resolve,
          )
          .on('error', reject),
      );
      expect(response.statusCode).toBe(200);
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      await new Promise((resolve) => setTimeout(resolve, 300));
      api.child.kill('SIGTERM');
      await new Promise((resolve) => response.once('end', resolve));
      const ended = Date.now();
      expect(bytes).toBeGreaterThan(1_000_000);
      // The agent keeps its socket for reuse: only the server closing it lets the process go.
      expect(await api.exited).toBe(0);
      expect(Date.now() - ended).toBeLessThan(5_000);
    } finally {
      agent.destroy();
      await api.stop('SIGKILL');
      await Promise.all(slow.map((proxy) => proxy.close()));
    }
  });
});
