import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Db } from '../src/database/index.js';
import { HealthMonitor } from '../src/health/health-monitor.js';
import { freePort } from './support/free-port.js';
import { tcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { createTestApp, testConfig } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

interface Report {
  status: string;
  details: Record<string, { status: string; inRotation?: boolean; message?: string; lagBytes?: number }>;
}

const INTERVAL_MS = 200;
const TIMEOUT_MS = 300;
/** What the monitor allows before a result counts as down (3 intervals plus one check's timeout). */
const STALE_MS = 3 * INTERVAL_MS + TIMEOUT_MS;
const portOf = (url: string) => Number(new URL(url).port);

/**
 * Every dependency reached through a proxy this file can cut, so no shared service is stopped:
 * other test runs keep their primary, replicas and Redis.
 */
describe('health (e2e: real primary, replicas, both Redis; faults injected through proxies)', () => {
  const config = testConfig();
  let app: NestFastifyApplication;
  let ops: string;
  let primary: TcpProxy;
  let replicas: TcpProxy[];
  let queueRedis: TcpProxy;
  let cacheRedis: TcpProxy;

  beforeAll(async () => {
    primary = await tcpProxy(portOf(config.DATABASE_URL));
    replicas = await Promise.all(config.DATABASE_REPLICA_URLS.map((url) => tcpProxy(portOf(url))));
    queueRedis = await tcpProxy(portOf(config.REDIS_QUEUE_URL!));
    cacheRedis = await tcpProxy(portOf(config.REDIS_CACHE_URL!));
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    app = await createTestApp({
      DATABASE_URL: primary.url(config.DATABASE_URL),
      DATABASE_REPLICA_URLS: config.DATABASE_REPLICA_URLS.map((url, index) => replicas[index].url(url)).join(','),
      REDIS_QUEUE_URL: queueRedis.url(config.REDIS_QUEUE_URL!),
      REDIS_CACHE_URL: cacheRedis.url(config.REDIS_CACHE_URL!),
      DB_REPLICA_PROBE_INTERVAL_MS: '200',
      DB_REPLICA_PROBE_TIMEOUT_MS: '150',
      HEALTH_PROBE_INTERVAL_MS: String(INTERVAL_MS),
      HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS),
      OPS_PORT: String(opsPort),
      OPS_HOST: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([primary, ...(replicas ?? []), queueRedis, cacheRedis].map((proxy) => proxy?.close()));
  });

  /** The app port's answer (statuses only). */
  const ready = async () => {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    return { status: response.statusCode, body: response.json() as Report, ms: performance.now() - started };
  };
  /** The operations port's answer (full detail). */
  const detail = async () => {
    const response = await fetch(`${ops}/health/ready`);
    return { status: response.status, body: (await response.json()) as Report };
  };
  const live = async () => (await app.inject({ method: 'GET', url: '/health/live' })).statusCode;

  it('is ready, with every dependency up, and quickly; details only on the operations port', async () => {
    await waitFor(async () => (await ready()).body.status === 'ok', 5_000, 'every replica in rotation');
    const { status, body, ms } = await ready();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    const checks = ['primary', 'replica-1', 'replica-2', 'cache-redis', 'queue-redis', 'queue-charges', 'queue-emails'];
    for (const name of checks) expect(body.details[name], name).toEqual({ status: 'up' });
    expect(ms).toBeLessThan(1_000);
    expect(await live()).toBe(200);

    const full = await detail();
    expect(full.status).toBe(200);
    for (const name of checks) expect(full.body.details[name]?.status, name).toBe('up');
    expect(full.body.details['replica-1']).toMatchObject({ inRotation: true, lagBytes: expect.any(Number) });
    expect(full.body.details['queue-emails']).toMatchObject({ waiting: expect.any(Number) });
    expect(full.body.details.primary).toMatchObject({ responseTime: expect.any(Number) });
    expect((await fetch(`${ops}/health/live`)).status).toBe(200);
  });

  it('answers a flood of 500 concurrent readiness requests from the last probe: no query, no pool wait', async () => {
    // Its own app, probing once a minute: any primary query during the flood would be the flood's.
    const quiet = await createTestApp({ HEALTH_PROBE_INTERVAL_MS: '60000' });
    try {
      const db = quiet.get(Db);
      const primaryQueries = () =>
        db.stats
          .queryRows()
          .filter((row) => row.pool === 'primary')
          .reduce((sum, row) => sum + row.count, 0);
      const primaryPool = () => db.snapshot().pools.find((pool) => pool.name === 'primary')!;
      const before = primaryQueries();
      let maxWaiting = 0;
      let flooding = true;
      const sampler = (async () => {
        while (flooding) {
          maxWaiting = Math.max(maxWaiting, primaryPool().waiting);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const responses = await Promise.all(
        Array.from({ length: 500 }, () => quiet.inject({ method: 'GET', url: '/health/ready' })),
      );
      flooding = false;
      await sampler;
      expect(responses.map((response) => response.statusCode)).toEqual(Array(500).fill(200));
      expect(maxWaiting).toBe(0);
      // Queries are counted when they finish: let any the flood started (none, if all is well) finish first.
      await waitFor(() => primaryPool().idle === primaryPool().total, 5_000, 'the primary pool idle');
      expect(primaryQueries() - before).toBe(0);
    } finally {
      await quiet.close();
    }
  });

  it('is degraded, not failed, with a replica unreachable; ok again once it is back', async () => {
    replicas[1].cut();
    try {
      // replica-1 may itself be out for a moment (a lag lease lapsing while the box replays a burst
      // of WAL, e.g. autovacuum after the test reseed): the premise is one replica away, one serving.
      await waitFor(
        async () => {
          const { body } = await ready();
          // Another check can be degraded for a moment too: wait for replica-2's own.
          return (
            body.status === 'degraded' &&
            body.details['replica-2']?.status === 'degraded' &&
            body.details['replica-1']?.status === 'up'
          );
        },
        5_000,
        'degraded by replica-2, replica-1 up',
      );
      const { status, body } = await ready();
      expect(status).toBe(200);
      expect(body.details['replica-2']).toEqual({ status: 'degraded' });
      expect(body.details['replica-1'].status).toBe('up');
      const full = await detail();
      expect(full.body.details['replica-2']).toMatchObject({ status: 'degraded', inRotation: false });
      expect(full.body.details['replica-2']).toHaveProperty('reason');
      expect(await live()).toBe(200);
    } finally {
      replicas[1].restore();
    }
    await waitFor(async () => (await ready()).body.status === 'ok', 15_000, 'ok again');
  });

  it('is degraded with the cache Redis unreachable (the cache fails safe)', async () => {
    cacheRedis.cut();
    try {
      await waitFor(async () => (await ready()).body.details['cache-redis'].status === 'degraded', 5_000, 'cache');
      const { status, body } = await ready();
      expect(status).toBe(200);
      expect(body.status).toBe('degraded');
    } finally {
      cacheRedis.restore();
    }
    await waitFor(async () => (await ready()).body.status === 'ok', 15_000, 'ok again');
  });

  it('turns 503 within 3 probe intervals when the primary becomes unreachable, error only on the operations port', async () => {
    const cutAt = performance.now();
    primary.cut();
    try {
      await waitFor(async () => (await ready()).status === 503, 5_000, 'primary down');
      expect(performance.now() - cutAt).toBeLessThan(STALE_MS);
      const { body, ms } = await ready();
      expect(body.status).toBe('error');
      expect(body.details.primary).toEqual({ status: 'down' });
      expect(JSON.stringify(body)).not.toMatch(/message|timeout|ECONN|refused|terminated/i);
      expect(ms).toBeLessThan(100);
      const full = await detail();
      expect(full.status).toBe(503);
      expect(full.body.details.primary).toMatchObject({ status: 'down', message: expect.any(String) });
      expect(await live()).toBe(200);
    } finally {
      primary.restore();
    }
    await waitFor(async () => (await ready()).status === 200, 10_000, 'ready again');
  });

  it('answers 503 when the queue Redis is unreachable', async () => {
    queueRedis.cut();
    try {
      await waitFor(async () => (await ready()).status === 503, 5_000, 'queue Redis down');
      const { body } = await ready();
      expect(body.details['queue-redis']).toEqual({ status: 'down' });
      expect((await detail()).body.details['queue-redis'].message).toEqual(expect.any(String));
      expect(await live()).toBe(200);
    } finally {
      queueRedis.restore();
    }
    await waitFor(async () => (await ready()).status === 200, 10_000, 'ready again');
  });

  it('counts results as down once the probe loop has stalled for 3 intervals, and recovers with it', async () => {
    await waitFor(async () => (await ready()).status === 200, 10_000, 'ready');
    const monitor = app.get(HealthMonitor, { strict: false });
    await monitor.stop();
    const stoppedAt = performance.now();
    try {
      await waitFor(async () => (await ready()).status === 503, 5_000, 'stale results');
      const waited = performance.now() - stoppedAt;
      expect(waited).toBeGreaterThanOrEqual(STALE_MS - INTERVAL_MS - TIMEOUT_MS);
      expect(waited).toBeLessThan(STALE_MS + 500);
      expect((await detail()).body.details.primary.message).toMatch(/^no probe result for \d+ ms$/);
    } finally {
      await monitor.start();
    }
    expect((await ready()).status).toBe(200);
  });
});
