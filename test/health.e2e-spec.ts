import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startCacheRedis, stopCacheRedis } from './support/cache-redis.js';
import { startReplica, stopReplica } from './support/replicas.js';
import { tcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { createTestApp, testConfig } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

interface Report {
  status: string;
  details: Record<string, { status: string; inRotation?: boolean }>;
}

describe('health (e2e: real primary, replicas, both Redis; faults injected)', () => {
  const config = testConfig();
  let app: NestFastifyApplication;
  let primary: TcpProxy;
  let queueRedis: TcpProxy;

  beforeAll(async () => {
    // The primary and the queue Redis through proxies this file can cut.
    primary = await tcpProxy(5432);
    queueRedis = await tcpProxy(Number(new URL(config.REDIS_QUEUE_URL!).port));
    app = await createTestApp({
      DATABASE_URL: primary.url(config.DATABASE_URL),
      REDIS_QUEUE_URL: queueRedis.url(config.REDIS_QUEUE_URL!),
      DB_REPLICA_PROBE_INTERVAL_MS: '200',
      DB_REPLICA_PROBE_TIMEOUT_MS: '150',
    });
  });

  afterAll(async () => {
    await app?.close();
    await primary?.close();
    await queueRedis?.close();
  });

  const ready = async () => {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    return { status: response.statusCode, body: response.json() as Report, ms: performance.now() - started };
  };
  const live = async () => (await app.inject({ method: 'GET', url: '/health/live' })).statusCode;

  it('is ready, with every dependency up, and quickly', async () => {
    await waitFor(async () => (await ready()).body.status === 'ok', 5_000, 'every replica in rotation');
    const { status, body, ms } = await ready();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    for (const name of [
      'primary',
      'replica-1',
      'replica-2',
      'cache-redis',
      'queue-redis',
      'queue-charges',
      'queue-emails',
    ])
      expect(body.details[name]?.status, name).toBe('up');
    expect(ms).toBeLessThan(1_000);
    expect(await live()).toBe(200);
  });

  it('is degraded, not failed, with a replica stopped; ok again once it is back', async () => {
    stopReplica(2);
    try {
      await waitFor(async () => (await ready()).body.status === 'degraded', 5_000, 'degraded');
      const { status, body } = await ready();
      expect(status).toBe(200);
      expect(body.details['replica-2']).toMatchObject({ status: 'degraded', inRotation: false });
      expect(body.details['replica-1'].status).toBe('up');
      expect(await live()).toBe(200);
    } finally {
      startReplica(2);
    }
    await waitFor(async () => (await ready()).body.status === 'ok', 15_000, 'ok again');
  });

  it('is degraded with the cache Redis down (the cache fails safe)', async () => {
    stopCacheRedis();
    try {
      await waitFor(async () => (await ready()).body.details['cache-redis'].status === 'degraded', 5_000, 'cache');
      const { status, body } = await ready();
      expect(status).toBe(200);
      expect(body.status).toBe('degraded');
    } finally {
      await startCacheRedis();
    }
  });

  it('answers 503 within a second when the primary is unreachable; live stays 200', async () => {
    primary.cut();
    try {
      const { status, body, ms } = await ready();
      expect(status).toBe(503);
      expect(body.status).toBe('error');
      expect(body.details.primary.status).toBe('down');
      expect(ms).toBeLessThan(1_000);
      expect(await live()).toBe(200);
    } finally {
      primary.restore();
    }
    await waitFor(async () => (await ready()).status === 200, 10_000, 'ready again');
  });

  it('answers 503 when the queue Redis is unreachable', async () => {
    queueRedis.cut();
    try {
      const { status, body, ms } = await ready();
      expect(status).toBe(503);
      expect(body.details['queue-redis'].status).toBe('down');
      expect(ms).toBeLessThan(1_000);
      expect(await live()).toBe(200);
    } finally {
      queueRedis.restore();
    }
    await waitFor(async () => (await ready()).status === 200, 10_000, 'ready again');
  });
});
