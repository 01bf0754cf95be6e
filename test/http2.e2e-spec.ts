import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClientHttp2Session } from 'node:http2';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import tls from 'node:tls';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { MAX_CONCURRENT_STREAMS } from '../src/edge/server-protocol.js';
import { runBuilt, startBuilt } from './support/app-process.js';
import { freePorts } from './support/free-port.js';
import { connectH2, h2Request, selfSignedCertificate } from './support/h2-client.js';
import { ADMIN_EMAIL, createTestApp } from './support/test-app.js';
import { connect } from './support/sql.js';

const certificate = selfSignedCertificate();
const TLS = { HTTP2: 'tls', TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile };
/** Headers HTTP/2 forbids (RFC 9113 §8.2.2): a client must treat a response carrying one as malformed. */
const CONNECTION_HEADERS = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

async function activeProductIds(count: number): Promise<number[]> {
  const sql = await connect();
  try {
    const { rows } = await sql.query<{ id: number }>(
      `SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT $1`,
      [count],
    );
    return rows.map((row) => row.id);
  } finally {
    await sql.end();
  }
}

const json = (body: Buffer) => JSON.parse(body.toString()) as Record<string, unknown>;

describe('HTTP2=tls: h2 and HTTP/1.1 on one TLS port (the real app, node:http2 clients)', () => {
  let app: NestFastifyApplication;
  let base: string;
  let ops: string;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    const [port, opsPort] = await freePorts(2);
    app = await createTestApp({ ...TLS, OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1' });
    await app.listen(port, '127.0.0.1');
    base = `https://127.0.0.1:${port}`;
    ops = `http://127.0.0.1:${opsPort}`;
    session = await connectH2(base, certificate.cert);
  });

  afterAll(async () => {
    session?.close();
    await app?.close();
  });

  it('negotiates h2 by ALPN, and still serves HTTP/1.1 on the same port', async () => {
    expect(session.alpnProtocol).toBe('h2');
    const h2 = await h2Request(session, '/health/live');
    expect(h2.status).toBe(200);
    expect(json(h2.body)).toEqual({ status: 'ok' });

    // ALPN picks per connection: a client offering both gets h2, one offering HTTP/1.1 gets that.
    for (const [offer, chosen] of [
      [['h2', 'http/1.1'], 'h2'],
      [['http/1.1'], 'http/1.1'],
    ] as const) {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: Number(new URL(base).port),
        ca: certificate.cert,
        ALPNProtocols: [...offer],
      });
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      expect(socket.alpnProtocol).toBe(chosen);
      socket.destroy();
    }
    // Node's https client offers no ALPN at all: served HTTP/1.1, with the edge's headers.
    const h1 = await new Promise<IncomingMessage>((resolve, reject) =>
      https.get(`${base}/health/live`, { ca: certificate.cert, agent: false }, resolve).on('error', reject),
    );
    expect(h1.httpVersion).toBe('1.1');
    expect(h1.statusCode).toBe(200);
    expect(h1.headers['x-request-id']).toBeTruthy();
    h1.resume();
  });

  it(`serves 100 concurrent streams on one connection (the server allows ${MAX_CONCURRENT_STREAMS})`, async () => {
    expect(session.remoteSettings.maxConcurrentStreams).toBe(MAX_CONCURRENT_STREAMS);
    const ids = await activeProductIds(100);
    expect(ids).toHaveLength(100);
    const responses = await Promise.all(
      ids.map((id, index) =>
        h2Request(session, `/products/${id}`, { headers: { 'x-request-id': `h2-stream-${index}` } }),
      ),
    );
    responses.forEach((response, index) => {
      expect(response.status).toBe(200);
      expect(json(response.body).id).toBe(ids[index]);
      // The edge's hooks ran for every stream: its request id echoed, the limits counted.
      expect(response.headers['x-request-id']).toBe(`h2-stream-${index}`);
      expect(response.headers['ratelimit']).toMatch(/^"default";r=\d+;t=\d+$/);
      expect(response.headers['strict-transport-security']).toBeTruthy();
      for (const name of CONNECTION_HEADERS) expect(response.headers[name]).toBeUndefined();
    });
    // Still the one session, not a reconnect.
    expect(session.closed || session.destroyed).toBe(false);

    // Metrics recorded each stream under its route template.
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    const served = metrics
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('http_requests_total{') &&
          line.includes('route="/products/:id"') &&
          line.includes('status_code="200"'),
      )
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(served).toBeGreaterThanOrEqual(100);
  });

  it('compresses with brotli or gzip over h2, as asked', async () => {
    const brotli = await h2Request(session, '/products?limit=50', { headers: { 'accept-encoding': 'br' } });
    expect(brotli.status).toBe(200);
    expect(brotli.headers['content-encoding']).toBe('br');
    const plain = JSON.parse(brotliDecompressSync(brotli.body).toString()) as { data: unknown[] };
    expect(plain.data).toHaveLength(50);
    expect(brotli.body.length).toBeLessThan(JSON.stringify(plain).length / 2);

    const gzip = await h2Request(session, '/products?limit=50', { headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect((JSON.parse(gunzipSync(gzip.body).toString()) as { data: unknown[] }).data).toHaveLength(50);
    for (const name of CONNECTION_HEADERS) expect(gzip.headers[name]).toBeUndefined();
  });

  it('answers If-None-Match with a 304 and no body over h2', async () => {
    const [id] = await activeProductIds(1);
    for (const path of [`/products/${id}`, '/products?limit=7']) {
      const first = await h2Request(session, path);
      expect(first.status).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"/);
      const again = await h2Request(session, path, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.body).toHaveLength(0);
      expect(again.headers.etag).toBe(etag);
    }
  });

  it('streams a chunked response (the orders export) over h2 without connection-specific headers', async () => {
    const login = await h2Request(session, '/auth/login', {
      method: 'POST',
      body: { email: ADMIN_EMAIL, password: 'password' },
    });
    expect(login.status).toBe(200);
    const authorization = `Bearer ${String(json(login.body).accessToken)}`;
    const to = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const exported = await h2Request(session, `/admin/orders/export?format=ndjson&from=${from}&to=${to}`, {
      headers: { authorization },
    });
    expect(exported.status).toBe(200);
    expect(exported.headers['cache-control']).toBe('private, no-store');
    for (const name of CONNECTION_HEADERS) expect(exported.headers[name]).toBeUndefined();
    const lines = exported.body.toString().trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines.slice(0, 5)) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('HTTP2=h2c: cleartext HTTP/2 with prior knowledge (behind a proxy)', () => {
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    const [port] = await freePorts(1);
    app = await createTestApp({ HTTP2: 'h2c' });
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves a prior-knowledge h2 client; an HTTP/1.1 client cannot talk to it', async () => {
    const session = await connectH2(base);
    try {
      const [id] = await activeProductIds(1);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          h2Request(session, `/products/${id}`, { headers: { 'accept-encoding': 'gzip' } }),
        ),
      );
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(response.headers['x-request-id']).toBeTruthy();
        expect(response.headers['ratelimit']).toBeTruthy();
      }
    } finally {
      session.close();
    }
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });
});

describe('HTTP2 configuration at boot (the built API)', () => {
  it('refuses HTTP2=tls without a certificate and key, or with files it cannot read or use, with one message', async () => {
    const missing = await runBuilt('dist/main.js', { HTTP2: 'tls', TLS_CERT_FILE: '', TLS_KEY_FILE: '' });
    expect(missing.code).toBe(1);
    expect(missing.output).toContain("TLS_CERT_FILE: required; with HTTP2=tls: the certificate (chain)'s PEM file");
    expect(missing.output).toContain("TLS_KEY_FILE: required; with HTTP2=tls: the private key's PEM file");

    const unreadable = await runBuilt('dist/main.js', { ...TLS, TLS_CERT_FILE: '/nonexistent/cert.pem' });
    expect(unreadable.code).toBe(1);
    expect(unreadable.output).toContain('TLS_CERT_FILE: cannot read /nonexistent/cert.pem (ENOENT)');

    const swapped = await runBuilt('dist/main.js', {
      ...TLS,
      TLS_CERT_FILE: certificate.keyFile,
      TLS_KEY_FILE: certificate.certFile,
    });
    expect(swapped.code).toBe(1);
    expect(swapped.output).toContain('TLS_CERT_FILE, TLS_KEY_FILE: not a usable certificate and key');
    expect(swapped.output).not.toMatch(/\n\s+at /); // no stack trace

    const unknown = await runBuilt('dist/main.js', { HTTP2: 'yes' });
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('HTTP2: must be off, tls or h2c');
  });
});

describe('graceful shutdown over h2 (the built API as a process)', () => {
  it.each([
    ['tls', TLS, 'https'],
    ['h2c', { HTTP2: 'h2c' }, 'http'],
  ] as const)(
    'HTTP2=%s: SIGTERM sends GOAWAY, the in-flight stream completes, idle sessions close, exit 0',
    async (_mode, env, scheme) => {
      const gateway = createFakeGateway({ latencyMs: 1_500, failureRate: 0 });
      const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
      const [port] = await freePorts(1);
      const api = await startBuilt(
        'dist/main.js',
        {
          ...env,
          PORT: String(port),
          HOST: '127.0.0.1',
          OPS_PORT: '0',
          PAYMENT_GATEWAY_URL: gatewayUrl,
          RATE_LIMIT_ENABLED: 'false',
          LOG_CACHE_HITS_ONE_IN: '1',
        },
        (output) => output.includes(`listening on ${scheme}://`),
      );
      const base = `${scheme}://127.0.0.1:${port}`;
      const ca = scheme === 'https' ? certificate.cert : undefined;
      const busy = await connectH2(base, ca);
      const idle = await connectH2(base, ca);
      // On the TLS port, an HTTP/1.1 client's keep-alive connection too: it must not hold the process.
      const keepAlive = new https.Agent({ keepAlive: true, keepAliveMsecs: 60_000, ca });
      try {
        const goaways = [busy, idle].map(
          (session) => new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code))),
        );
        const login = await h2Request(busy, '/auth/login', {
          method: 'POST',
          body: { email: 'user8@example.com', password: 'password' },
        });
        expect(login.status, login.body.toString()).toBe(200);
        await h2Request(idle, '/health/live');
        if (scheme === 'https') {
          const h1 = await new Promise<IncomingMessage>((resolve, reject) =>
            https.get(`${base}/health/live`, { agent: keepAlive }, resolve).on('error', reject),
          );
          expect(h1.statusCode).toBe(200);
          h1.resume();
        }
        const checkout = h2Request(busy, '/checkout', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${String(json(login.body).accessToken)}`,
            'idempotency-key': `h2-shutdown-${Date.now()}`,
            'x-request-id': 'h2-in-flight-checkout',
          },
          body: { items: [{ productId: 3, quantity: 1 }], paymentToken: 'tok_visa' },
        });
        await new Promise((resolve) => setTimeout(resolve, 500)); // the charge is at the provider now
        api.child.kill('SIGTERM');

        // Both sessions hear GOAWAY (NO_ERROR) while the checkout's stream is still open.
        expect(await Promise.all(goaways)).toEqual([0, 0]);
        // No new stream on a session that got GOAWAY; no new connection either.
        await expect(h2Request(busy, '/health/live')).rejects.toThrow();
        await expect(connectH2(base, ca)).rejects.toThrow();

        const response = await checkout;
        const completed = Date.now();
        expect(response.status, api.output()).toBe(201);
        expect(json(response.body).status).toBe('paid');
        // Our open sessions and the keep-alive socket hold nothing: the process ends soon after the stream.
        expect(await api.exited).toBe(0);
        expect(Date.now() - completed).toBeLessThan(5_000);
        // The access log saw the stream: its request id, route and status.
        const line = api
          .output()
          .split('\n')
          .find((entry) => entry.includes('"reqId":"h2-in-flight-checkout"') && entry.includes('"status"'));
        expect(line, api.output()).toMatch(/"route":"\/checkout".*"status":201/);
      } finally {
        busy.destroy();
        idle.destroy();
        keepAlive.destroy();
        await api.stop('SIGKILL');
        await gateway.close();
      }
    },
  );
});
