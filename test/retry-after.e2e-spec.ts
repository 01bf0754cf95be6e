import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY_AFTER_S } from '../src/common/http/index.js';
import { tcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { ADMIN_EMAIL, createTestApp, testConfig } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

/**
 * Every 503 problem tells clients when to come back (`Retry-After`). The database and the cache
 * Redis are reached through proxies this file cuts: the shared services keep running.
 */
describe('503 problems carry Retry-After (e2e: dependencies cut through proxies)', () => {
  const config = testConfig();
  let app: NestFastifyApplication;
  let databases: TcpProxy[];
  let cacheRedis: TcpProxy;

  beforeAll(async () => {
    databases = await Promise.all([5432, 5433, 5434].map((port) => tcpProxy(port)));
    cacheRedis = await tcpProxy(Number(new URL(config.REDIS_CACHE_URL!).port));
    const [primary, ...replicas] = databases;
    app = await createTestApp({
      DATABASE_URL: primary.url(config.DATABASE_URL),
      DATABASE_REPLICA_URLS: replicas.map((proxy, i) => proxy.url(config.DATABASE_REPLICA_URLS[i])).join(','),
      REDIS_CACHE_URL: cacheRedis.url(config.REDIS_CACHE_URL!),
      DB_REPLICA_PROBE_INTERVAL_MS: '200',
      // Logins are refused while rate limiting is unavailable (the documented default).
      RATE_LIMIT_AUTH_FAIL_OPEN: 'false',
    });
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([...(databases ?? []), cacheRedis].map((proxy) => proxy?.close()));
  });

  const expectUnavailable = (response: Awaited<ReturnType<NestFastifyApplication['inject']>>) => {
    expect(response.statusCode, response.body).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 503 });
    expect(response.headers['retry-after']).toBe(String(DEFAULT_RETRY_AFTER_S));
  };

  it('the database unavailable: a sign-up, and the queue board (its own scope), are 503 with Retry-After', async () => {
    for (const proxy of databases) proxy.cut();
    try {
      const signUp = await app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email: `retry-${randomUUID()}@example.com`, password: 'password', name: 'Retry' },
      });
      expectUnavailable(signUp);
      const board = await app.inject({
        method: 'GET',
        url: '/admin/queues',
        headers: { authorization: `Basic ${Buffer.from(`${ADMIN_EMAIL}:password`).toString('base64')}` },
      });
      expectUnavailable(board);
    } finally {
      for (const proxy of databases) proxy.restore();
    }
    // A read the cache cannot answer (a product that does not exist): the database itself is back.
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/products/999999998' })).statusCode === 404,
      10_000,
      'reads again once the database is back',
    );
  });

  it('the cache Redis unavailable: logins (rate limit fails closed) are 503 with Retry-After', async () => {
    cacheRedis.cut();
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'user9@example.com', password: 'password' },
      });
      expectUnavailable(login);
    } finally {
      cacheRedis.restore();
    }
  });

  it('other errors carry no Retry-After', async () => {
    const missing = await app.inject({ method: 'GET', url: '/products/999999999' });
    expect(missing.statusCode, missing.body).toBe(404);
    expect(missing.headers['retry-after']).toBeUndefined();
  });
});
