import { Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { CacheService, httpCacheKey, type CacheableOptions, type CacheKey } from '../../src/cache/index.js';
import { CACHEABLE } from '../../src/cache/cache.constants.js';
import type { RedisClient } from '../../src/common/redis/index.js';
import { AppConfig } from '../../src/config/index.js';
import { ProductsController } from '../../src/products/products.controller.js';
import { cacheRedis, inspectRedis, keysPerNode, REDIS_MODES } from '../support/redis-mode.js';
import { ADMIN_EMAIL, createTestApp, login } from '../support/test-app.js';

const PREFIX = 'store-api:test';

/** Runs `work` over `items`, `concurrency` at a time. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

/** Keys under a prefix and the members of those that are sets (SCAN, every master). */
async function footprint(redis: RedisClient, pattern: string): Promise<{ keys: number; members: number }> {
  const keys = (await keysPerNode(redis, pattern)).flat();
  const sizes = await Promise.all(keys.map((key) => redis.scard(key).catch(() => 0)));
  return { keys: keys.length, members: sizes.reduce((sum, size) => sum + size, 0) };
}

describe.each(REDIS_MODES)('tag sets live as long as their longest entry, no longer (%s Redis)', (mode) => {
  it('sets a tag TTL once and only raises it: adds do not renew it', async () => {
    const prefix = `${PREFIX}:tag-ttl-${Date.now()}`;
    const cache = new CacheService({ redis: cacheRedis(mode), prefix, ttlJitter: 0 });
    const redis = inspectRedis(mode, 'cache');
    const tagKey = `${prefix}:tag:t`;
    try {
      await cache.onModuleInit();
      for (let i = 0; i < 50; i++)
        await cache.set({ namespace: 'n', id: i }, i, { tags: ['t'], ttlMs: 2_000, graceMs: 1_000 });
      const short = await redis.pttl(tagKey);
      expect(short).toBeGreaterThan(0);
      expect(short, 'the entries’ ttl + grace, not a day').toBeLessThanOrEqual(3_000);

      await cache.set({ namespace: 'n', id: 'long' }, 1, { tags: ['t'], ttlMs: 60_000, graceMs: 0 });
      const long = await redis.pttl(tagKey);
      expect(long, 'raised to outlive the longest entry').toBeGreaterThan(59_000);

      await new Promise((resolve) => setTimeout(resolve, 50));
      await cache.set({ namespace: 'n', id: 'short-again' }, 1, { tags: ['t'], ttlMs: 2_000, graceMs: 1_000 });
      const after = await redis.pttl(tagKey);
      expect(after, 'a shorter entry neither shortens nor renews it').toBeLessThan(long);
      expect(after).toBeGreaterThan(3_000);
    } finally {
      await cache.deleteByPattern('*');
      cache.onApplicationShutdown();
      redis.disconnect();
    }
  });
});

describe('cached lists and searches under many distinct queries (real app, real Redis)', () => {
  let app: NestFastifyApplication;
  let other: NestFastifyApplication;
  let redis: RedisClient;

  beforeAll(async () => {
    [app, other] = await Promise.all([createTestApp(), createTestApp()]);
    redis = inspectRedis('single', 'cache');
  });

  afterAll(async () => {
    redis?.disconnect();
    await Promise.all([app?.close(), other?.close()]);
  });

  it('10,000 distinct list queries grow no tag set, and every entry expires by itself', async () => {
    const cache = app.get(CacheService);
    const list = new Reflector().get<CacheableOptions>(CACHEABLE, ProductsController.prototype.list);
    const base = 1_000_000 + Math.floor(Math.random() * 1e9);
    const before = await footprint(redis, `${PREFIX}:tag:*`);

    // Through HTTP (the interceptor and the real handler)…
    await inParallel(
      Array.from({ length: 200 }, (_, i) => base + i),
      16,
      async (minPrice) => {
        const response = await app.inject({ method: 'GET', url: `/products?minPrice=${minPrice}` });
        expect(response.headers['x-cache']).toBe('MISS');
      },
    );
    // …and, for speed, the interceptor's two calls without the database: the key, then the store.
    await inParallel(
      Array.from({ length: 10_000 }, (_, i) => base + 200 + i),
      32,
      async (minPrice) => {
        const request = { url: `/products?minPrice=${minPrice}`, query: { minPrice: String(minPrice) }, params: {} };
        const key = httpCacheKey(request as unknown as FastifyRequest, list) as CacheKey;
        expect(key).toBeDefined();
        const entry = await cache.getOrSetEntry(key, async () => ({ data: [], nextCursor: null }), {
          ttlMs: list.ttlMs,
          graceMs: list.staleWhileRevalidateMs,
          tags: list.tags?.(request as unknown as FastifyRequest),
        });
        expect(entry.status).toBe('MISS');
      },
    );

    const after = await footprint(redis, `${PREFIX}:tag:*`);
    // Other suites may tag a few products meanwhile; a tag per list entry would add 10,200 members.
    expect(after.members - before.members, 'tag members added').toBeLessThan(1_000);
    expect(after.keys - before.keys, 'tag sets added').toBeLessThan(1_000);

    const version = Number((await redis.get(`${PREFIX}:ns:product-lists`)) ?? 0);
    const entries = (await keysPerNode(redis, `${PREFIX}:product-lists:v${version}:*`)).flat();
    expect(entries.length).toBeGreaterThanOrEqual(10_200);
    const maxTtl = list.ttlMs! * 1.1 + app.get(AppConfig).CACHE_GRACE_MS;
    const ttls = await Promise.all(entries.map((key) => redis.pttl(key)));
    const unbounded = ttls.filter((ttl) => ttl !== -2 && (ttl <= 0 || ttl > maxTtl));
    expect(unbounded, `every list entry expires within ${maxTtl} ms`).toEqual([]);
  }, 120_000);

  it('a product change makes cached lists and searches miss, on this instance and on another', async () => {
    const admin = await login(app, ADMIN_EMAIL);
    const word = `Boundedtest${Date.now()}`;
    const created = await app.inject({
      method: 'POST',
      url: '/products',
      headers: admin,
      payload: {
        sku: `BND-${process.pid}-${Date.now() % 100000}`,
        name: `${word} drill`,
        priceCents: 1234,
        categoryId: 1,
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as number;
    const urls = [`/products?minPrice=1234&maxPrice=1234&limit=50`, `/products/search?q=${word}`];
    const status = async (instance: NestFastifyApplication, url: string) =>
      (await instance.inject({ method: 'GET', url })).headers['x-cache'];
    const keys = urls.map((url) => {
      const [path, query = ''] = url.split('?');
      const handler = path.endsWith('search') ? ProductsController.prototype.search : ProductsController.prototype.list;
      const options = new Reflector().get<CacheableOptions>(CACHEABLE, handler);
      const request = { url, query: Object.fromEntries(new URLSearchParams(query)), params: {} };
      return httpCacheKey(request as unknown as FastifyRequest, options)!;
    });
    try {
      // Asked first after the change: the writing instance, then the other one (which learns of
      // the change by the bus, within milliseconds).
      for (const [round, [first, second]] of [
        [app, other],
        [other, app],
      ].entries()) {
        for (const url of urls) {
          await status(first, url);
          expect(await status(first, url)).toBe('HIT');
          expect(await status(second, url), 'read from Redis').toBe('HIT');
        }
        const changed = await app.inject({
          method: 'PATCH',
          url: `/products/${id}`,
          headers: admin,
          payload: { priceCents: 1235 + round },
        });
        expect(changed.statusCode).toBe(200);
        for (const instance of [app, other])
          for (const key of keys)
            await expect.poll(() => instance.get(CacheService).peek(key), { timeout: 2_000 }).toBeUndefined();
        for (const url of urls) {
          expect(await status(first, url), `${url}, round ${round}`).toBe('MISS');
          expect(await status(second, url), 'then stored for both').toBe('HIT');
        }
      }
    } finally {
      await app.inject({ method: 'DELETE', url: `/products/${id}`, headers: admin });
    }
  });
});
