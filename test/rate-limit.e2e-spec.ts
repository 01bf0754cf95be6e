import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { RateLimitStats } from '../src/rate-limit/index.js';
import { startCacheRedis, stopCacheRedis } from './support/cache-redis.js';
import { inspectRedis, keysPerNode, REDIS_MODES, redisEnv, slotsOf } from './support/redis-mode.js';
import { createTestApp } from './support/test-app.js';

/** Two instances of the app on one Redis (or one cluster), with the documented limits (not the test suite's). */
describe.each(REDIS_MODES)('rate limits (e2e: two app instances, real Redis: %s)', (mode) => {
  const limits = { RATE_LIMIT_DEFAULT: '100', RATE_LIMIT_AUTH: '5', RATE_LIMIT_SEARCH: '30', ...redisEnv(mode) };
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;
  // Tests that stop the single cache Redis, and checks of what lands in the cluster.
  const onSingle = mode === 'single' ? it : it.skip;
  const onCluster = mode === 'cluster' ? it : it.skip;

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestApp(limits), createTestApp(limits)]);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  const client = () => ({ 'x-api-key': `test-${randomUUID()}` });
  const get = (app: NestFastifyApplication, url: string, headers: Record<string, string>) =>
    app.inject({ method: 'GET', url, headers });
  const login = (app: NestFastifyApplication, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/auth/login',
      headers,
      payload: { email: 'user5@example.com', password: 'wrong-password' },
    });

  it('shares one count between instances: the 101st request in a minute is a 429 with Retry-After and the IETF headers', async () => {
    const headers = client();
    // A cached product (answered before Nest's guards once warm) and a plain route, on both instances.
    for (let i = 0; i < 100; i++) {
      const response = await get(i % 2 ? second : first, i % 4 < 2 ? '/products/1' : '/products?limit=1', headers);
      expect(response.statusCode, `request ${i + 1}`).toBe(200);
      expect(response.headers['ratelimit-policy']).toBe('"default";q=100;w=60');
      expect(response.headers['ratelimit']).toMatch(new RegExp(`^"default";r=${99 - i};t=\\d+$`));
      expect(response.headers['x-ratelimit-remaining']).toBe(String(99 - i));
    }
    for (const [app, url] of [
      [first, '/products/1'],
      [second, '/products?limit=1'],
    ] as const) {
      const refused = await get(app, url, headers);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(120);
      expect(refused.headers['ratelimit']).toMatch(/^"default";r=0;t=\d+$/);
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ status: 429, type: expect.stringContaining('rate-limited') });
    }
    // Another client is not affected; probes are never limited.
    expect((await get(first, '/products/1', client())).statusCode).toBe(200);
    const probe = await get(second, '/health/live', headers);
    expect(probe.statusCode).toBe(200);
    expect(probe.headers['ratelimit']).toBeUndefined();
  });

  onCluster('keeps the counters in the cluster: both windows a check reads share one slot', async () => {
    const redis = inspectRedis(mode, 'cache');
    try {
      const keys = (await keysPerNode(redis, 'store-api:test:rate-limit:default:{*}:*')).flat();
      expect(keys.length).toBeGreaterThan(0);
      // `…:{client}:<window start>`: the script reads it with the previous window; the hash tag
      // keeps the two in one slot (else the cluster refuses the script: CROSSSLOT).
      for (const current of keys.slice(0, 20)) {
        const previous = current.replace(/:(\d+)$/, (_, start: string) => `:${Number(start) - 60_000}`);
        expect((await slotsOf(redis, [current, previous])).size).toBe(1);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('applies the named policies where routes ask: search 30, auth 5 (both instances)', async () => {
    const headers = client();
    for (let i = 0; i < 30; i++)
      expect((await get(i % 2 ? first : second, `/products/search?q=lamp${i % 3}`, headers)).statusCode).toBe(200);
    const search = await get(first, '/products/search?q=lamp0', headers);
    expect(search.statusCode).toBe(429);
    expect(search.headers['ratelimit-policy']).toBe('"default";q=100;w=60, "search";q=30;w=60');
    expect((await get(first, '/products/1', headers)).statusCode).toBe(200); // default still has room

    const auth = client();
    for (let i = 0; i < 5; i++) expect((await login(i % 2 ? first : second, auth)).statusCode).toBe(401);
    const refused = await login(first, auth);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['x-ratelimit-remaining-auth']).toBe('0');
  });

  onSingle('with Redis down: requests are served (fail-open, counted), logins fail closed with 503', async () => {
    const stats = first.get(RateLimitStats);
    const before = stats.failOpen;
    stopCacheRedis();
    try {
      const headers = client();
      for (let i = 0; i < 3; i++) expect((await get(first, '/products?limit=1', headers)).statusCode).toBe(200);
      expect(stats.failOpen).toBeGreaterThanOrEqual(before + 3);
      const refused = await login(first, headers);
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    } finally {
      await startCacheRedis();
    }
  });
});
