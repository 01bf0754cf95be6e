import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freePort } from './support/free-port.js';
import { createTestApp } from './support/test-app.js';

const TOKEN = 'ops-test-metrics-token-0123456789';
const problemOf = (body: string) => JSON.parse(body) as { type: string; title: string; status: number };

/**
 * What is public and what is not: the operations port (OPS_PORT) serves metrics and readiness
 * detail; the app port keeps the probes load balancers need, statuses only, and /metrics only as
 * a token-protected fallback when there is no operations port.
 */
describe('operations port and the public surface (e2e)', () => {
  describe('with an operations port', () => {
    let app: NestFastifyApplication;
    let ops: string;

    beforeAll(async () => {
      const port = await freePort();
      ops = `http://127.0.0.1:${port}`;
      // A token too: with an operations port it must not open /metrics on the app port.
      app = await createTestApp({ OPS_PORT: String(port), OPS_HOST: '127.0.0.1', METRICS_TOKEN: TOKEN });
    });

    afterAll(async () => {
      await app?.close();
    });

    it('serves /metrics there, and not on the app port (a 404 like any unknown path)', async () => {
      const scraped = await fetch(`${ops}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await scraped.text()).toMatch(/^# TYPE http_requests_total counter$/m);

      const unknown = await app.inject({ method: 'GET', url: '/no-such-path' });
      for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
        const hidden = await app.inject({ method: 'GET', url: '/metrics', headers });
        expect(hidden.statusCode).toBe(404);
        expect(hidden.headers['content-type']).toMatch(/^application\/problem\+json/);
        const { type, title, status } = problemOf(hidden.body);
        const { type: unknownType, title: unknownTitle } = problemOf(unknown.body);
        expect({ type, title, status }).toEqual({ type: unknownType, title: unknownTitle, status: 404 });
        expect(hidden.body).not.toMatch(/http_requests_total/);
      }
    });

    it('keeps /health/live and /health/ready on the app port, statuses only; the detail on the operations port', async () => {
      expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const open = await app.inject({ method: 'GET', url: '/health/ready' });
      const detailed = await fetch(`${ops}/health/ready`);
      expect(detailed.status).toBe(open.statusCode);
      const details = ((await detailed.json()) as { details: Record<string, Record<string, unknown>> }).details;
      const statuses = (open.json() as { details: Record<string, Record<string, unknown>> }).details;
      expect(Object.keys(statuses)).toEqual(Object.keys(details));
      for (const [name, result] of Object.entries(statuses))
        expect(result, name).toEqual({ status: details[name].status });
      // The detail is real: timings, lag, backlog counts.
      expect(details.primary).toHaveProperty('responseTime');
      expect(details['queue-charges']).toHaveProperty('waiting');
      expect(open.body).not.toMatch(/responseTime|lag|waiting|message|reason|circuit/);
      expect((await fetch(`${ops}/health/live`)).status).toBe(200);
    });

    it('answers anything else on the operations port with a 404 problem', async () => {
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/docs'],
        ['POST', '/metrics'],
        ['GET', '/admin/queues'],
      ]) {
        const response = await fetch(`${ops}${path}`, { method });
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(problemOf(await response.text())).toMatchObject({ status: 404, title: 'Not Found' });
      }
    });
  });

  describe('without one (OPS_PORT=0)', () => {
    it('serves /metrics on the app port for the bearer token only: 401 without it, 200 with it', async () => {
      const app = await createTestApp({ METRICS_TOKEN: TOKEN });
      try {
        for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`]) {
          const refused = await app.inject({
            method: 'GET',
            url: '/metrics',
            headers: authorization ? { authorization } : {},
          });
          expect(refused.statusCode, String(authorization)).toBe(401);
          expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
          expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
        const scraped = await app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        expect(scraped.statusCode).toBe(200);
        expect(scraped.body).toMatch(/^process_cpu_user_seconds_total /m);
      } finally {
        await app.close();
      }
    });

    it('does not serve /metrics at all without a token', async () => {
      const app = await createTestApp();
      try {
        expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
        const bearer = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer x' } });
        expect(bearer.statusCode).toBe(404);
      } finally {
        await app.close();
      }
    });
  });

  it('serves no docs with DOCS_ENABLED=false (the production default)', async () => {
    const app = await createTestApp({ DOCS_ENABLED: 'false' });
    try {
      for (const url of ['/docs', '/docs/json'])
        expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('leaves no timer of its own and no open port after close()', async () => {
    // Every timer the application's own code creates (called from src/, not from a library), and
    // whether it was cleared or fired by the end.
    const pending = new Map<NodeJS.Timeout, string>();
    const real = { setInterval, clearInterval, setTimeout, clearTimeout };
    const ours = (stack = '') => {
      const caller = stack.split('\n')[2] ?? '';
      return caller.includes('/src/') ? caller.trim() : undefined;
    };
    globalThis.setInterval = ((fn: () => void, ms?: number) => {
      const timer = real.setInterval(fn, ms);
      const origin = ours(new Error().stack);
      if (origin) pending.set(timer, origin);
      return timer;
    }) as typeof setInterval;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      const timer: NodeJS.Timeout = real.setTimeout(() => {
        pending.delete(timer);
        fn();
      }, ms);
      const origin = ours(new Error().stack);
      if (origin) pending.set(timer, origin);
      return timer;
    }) as typeof setTimeout;
    globalThis.clearInterval = ((timer: NodeJS.Timeout) => {
      pending.delete(timer);
      real.clearInterval(timer);
    }) as typeof clearInterval;
    globalThis.clearTimeout = ((timer: NodeJS.Timeout) => {
      pending.delete(timer);
      real.clearTimeout(timer);
    }) as typeof clearTimeout;
    const port = await freePort();
    try {
      const app = await createTestApp({
        OPS_PORT: String(port),
        OPS_HOST: '127.0.0.1',
        HEALTH_PROBE_INTERVAL_MS: '50',
      });
      // Several probe rounds, with requests on both ports.
      await new Promise((resolve) => real.setTimeout(resolve, 300));
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      expect(pending.size).toBeGreaterThan(0);
      await app.close();
    } finally {
      Object.assign(globalThis, real);
    }
    expect([...pending.values()]).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  });
});
