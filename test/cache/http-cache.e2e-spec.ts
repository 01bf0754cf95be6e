import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CacheService } from '../../src/cache/index.js';
import { Db } from '../../src/database/index.js';
import { PRODUCTS_NAMESPACE } from '../../src/products/products.cache.js';
import { ProductsService } from '../../src/products/products.service.js';
import { setApplyDelay } from '../support/replicas.js';
import { createTestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('HTTP caching of the catalog (real Redis, real replicas)', () => {
  let app: NestFastifyApplication;
  let db: Db;
  let cache: CacheService;

  beforeAll(async () => {
    // Statement counts are global: no readiness probes (a SELECT per pool each second) in between.
    app = await createTestApp({ HEALTH_PROBE_INTERVAL_MS: '60000' });
    db = app.get(Db);
    cache = app.get(CacheService);
    // Start from an empty catalog cache, whatever earlier runs left.
    await cache.bumpNamespace(PRODUCTS_NAMESPACE);
    await cache.bumpNamespace('product-lists');
  });

  afterAll(async () => {
    await setApplyDelay(1, '0');
    await setApplyDelay(2, '0');
    await app?.close();
  });

  const queriesSoFar = (of = db) => of.snapshot().queries.reduce((sum, row) => sum + row.count, 0);
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('MISS, then HIT with the same strong ETag; If-None-Match is a 304 with no database query', async () => {
    const first = await get('/products/101');
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toMatch(/public, max-age=\d+, s-maxage=\d+, stale-while-revalidate=\d+/);

    const before = queriesSoFar();
    const second = await get('/products/101');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.etag).toBe(etag);
    expect(second.json()).toEqual(first.json());

    const notModified = await get('/products/101', { 'if-none-match': etag });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(etag);
    expect(queriesSoFar(), 'HIT and 304 never touch the database').toBe(before);

    const changed = await get('/products/101', { 'if-none-match': '"something-else"' });
    expect(changed.statusCode).toBe(200);
  });

  it('caches "not found" briefly: the second 404 costs no query', async () => {
    expect((await get('/products/1999999')).statusCode).toBe(404);
    const before = queriesSoFar();
    const again = await get('/products/1999999');
    expect(again.statusCode).toBe(404);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(queriesSoFar()).toBe(before);
  });

  it('caches list pages by URL', async () => {
    expect((await get('/products?limit=5')).headers['x-cache']).toBe('MISS');
    expect((await get('/products?limit=5')).headers['x-cache']).toBe('HIT');
    expect((await get('/products?limit=6')).headers['x-cache']).toBe('MISS');
  });

  it('keys by the parsed query: one entry per meaning, none for a query the route rejects', async () => {
    const minPrice = 1 + Math.floor(Math.random() * 1e9);
    expect((await get(`/products?minPrice=${minPrice}&limit=7`)).headers['x-cache']).toBe('MISS');
    expect((await get(`/products?limit=7&minPrice=${minPrice}`)).headers['x-cache'], 'reordered').toBe('HIT');
    expect((await get(`/products?limit=7&minPrice=${minPrice}&sort=newest`)).headers['x-cache'], 'default').toBe('HIT');
    expect((await get(`/products?limit=07&minPrice=${minPrice}`)).headers['x-cache'], 'same number').toBe('HIT');
    const junk = await get(`/products?limit=7&minPrice=${minPrice}&junk=1`);
    expect(junk.statusCode).toBe(400);
    expect(junk.headers['x-cache'], 'neither looked up nor stored').toBeUndefined();

    const q = `drill${minPrice}`;
    expect((await get(`/products/search?q=${q}`)).headers['x-cache']).toBe('MISS');
    expect((await get(`/products/search?page=1&q=${q}&limit=20`)).headers['x-cache']).toBe('HIT');
    expect((await get('/products/search')).statusCode, 'no q: a 400, not a cached entry').toBe(400);

    const view = await get('/products/104?fields=name,id');
    expect(view.headers['x-cache']).toBe('MISS');
    const reordered = await get('/products/104?fields=id,name,id');
    expect(reordered.headers['x-cache']).toBe('HIT');
    expect(reordered.body, 'the response does not depend on the order asked').toBe(view.body);
  });

  it('warms the most-ordered products into Redis at start, keeping entries already there', async () => {
    const [top, second] = await db.primary.$queryRaw<{ id: number }[]>`
      SELECT oi.product_id AS id FROM order_items oi JOIN products p ON p.id = oi.product_id
      WHERE p.status = 'active' GROUP BY 1 ORDER BY sum(oi.quantity) DESC, 1 LIMIT 2`;
    await cache.delete({ namespace: PRODUCTS_NAMESPACE, id: String(top.id) });
    // What a write just stored (refresh-after-write): a warm-up reading older rows must not replace it.
    const written = { id: second.id, name: 'written just now' };
    await cache.set({ namespace: PRODUCTS_NAMESPACE, id: String(second.id) }, written);
    const warmed = await createTestApp({ CACHE_WARM_TOP_PRODUCTS: '20', HEALTH_PROBE_INTERVAL_MS: '60000' });
    try {
      const warmedCache = warmed.get(CacheService);
      const warmedDb = warmed.get(Db);
      const deadline = Date.now() + 10_000;
      while (
        (await warmedCache.get({ namespace: PRODUCTS_NAMESPACE, id: String(top.id) })) === undefined &&
        Date.now() < deadline
      )
        await sleep(50);
      const before = queriesSoFar(warmedDb);
      const response = await warmed.inject({ method: 'GET', url: `/products/${top.id}` });
      expect(response.headers['x-cache']).toBe('HIT');
      expect(response.json().id).toBe(top.id);
      expect(queriesSoFar(warmedDb), 'served from Redis').toBe(before);
      // Read where the warm wrote (this instance has no in-memory copy of it).
      expect(await warmedCache.get({ namespace: PRODUCTS_NAMESPACE, id: String(second.id) })).toEqual(written);
    } finally {
      await warmed.close();
      await cache.delete({ namespace: PRODUCTS_NAMESPACE, id: String(second.id) });
    }
  });

  it('answers a fresh entry another instance stored in Redis without the database, then from memory', async () => {
    const other = await createTestApp();
    try {
      expect((await other.inject({ method: 'GET', url: '/products/107' })).headers['x-cache']).toBe('MISS');
      const counters = cache.stats.of(PRODUCTS_NAMESPACE);
      const [l1Hits, l2Hits, before] = [counters.hits.l1, counters.hits.l2, queriesSoFar()];
      expect((await get('/products/107')).headers['x-cache']).toBe('HIT');
      expect((await get('/products/107')).headers['x-cache']).toBe('HIT');
      expect([counters.hits.l2 - l2Hits, counters.hits.l1 - l1Hits]).toEqual([1, 1]);
      expect(queriesSoFar()).toBe(before);
    } finally {
      await other.close();
    }
  });

  describe('with every replica 2 s behind', () => {
    beforeAll(async () => {
      await setApplyDelay(1, '2s');
      await setApplyDelay(2, '2s');
    });

    /** Reads every 50 ms for 4 s; once `fresh` has been served, `old` must never come back. */
    async function watch(url: string, field: string, fresh: unknown, old: unknown) {
      const seen: unknown[] = [];
      const until = Date.now() + 4_000;
      while (Date.now() < until) {
        const response = await get(url);
        expect(response.statusCode).toBe(200);
        seen.push(response.json()[field]);
        await sleep(50);
      }
      const firstFresh = seen.indexOf(fresh);
      expect(firstFresh, 'the new value is served').toBeGreaterThanOrEqual(0);
      expect(
        seen.slice(firstFresh).filter((value) => value === old),
        'the old value never comes back',
      ).toEqual([]);
      return seen;
    }

    it('refresh-after-write: the cache holds the new value at once and the old never returns', async () => {
      const before = (await get('/products/202')).json();
      await get('/products/202');
      const newName = `${before.name} (renamed ${Date.now()})`;
      await app.get(ProductsService).update(202, { name: newName });
      expect(await cache.get({ namespace: PRODUCTS_NAMESPACE, id: '202' })).toMatchObject({ name: newName });
      const seen = await watch('/products/202', 'name', newName, before.name);
      expect(seen[0]).toBe(newName);
    });

    it('delete-on-write: the next miss is not loaded from a lagging replica', async () => {
      const before = (await get('/products/303')).json();
      const newStock = before.stock + 7;
      await db.primary.product.update({ where: { id: 303 }, data: { stock: newStock } });
      await cache.delete({ namespace: PRODUCTS_NAMESPACE, id: '303' });
      const seen = await watch('/products/303', 'stock', newStock, before.stock);
      expect(seen[0], 'the first read after the delete is already fresh').toBe(newStock);
      expect(await cache.get({ namespace: PRODUCTS_NAMESPACE, id: '303' })).toMatchObject({ stock: newStock });
    });
  });
});
