import { CacheService, type CacheModuleOptions } from '../../src/cache/index.js';
import { createRedisClient, whenReady, type RedisClient } from '../../src/common/redis/index.js';
import { startCacheRedis, stopCacheRedis } from '../support/cache-redis.js';
import { cacheRedis, inspectRedis, keysPerNode, mastersOf, REDIS_MODES } from '../support/redis-mode.js';
import { waitFor } from '../support/wait-for.js';
import { WireCounts } from '../support/wire-counts.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const inL1 = (service: CacheService, name: string) =>
  (service as unknown as { parts: { l1: { has(name: string): boolean } } }).parts.l1.has(name);

describe.each(REDIS_MODES)('CacheService on real Redis (%s)', (mode) => {
  const services: CacheService[] = [];
  let redis: RedisClient;
  let prefix: string;
  // Tests that stop the single cache Redis (a cluster's failover is Redis' business, not the cache's).
  const onSingle = mode === 'single' ? it : it.skip;

  /** A CacheService as one app instance would have it; each test gets its own prefix. */
  async function instance(prefix: string, options: Partial<CacheModuleOptions> = {}): Promise<CacheService> {
    const service = new CacheService({ redis: cacheRedis(mode), prefix, ...options });
    services.push(service);
    await service.onModuleInit();
    return service;
  }

  beforeAll(() => {
    redis = inspectRedis(mode, 'cache');
  });

  beforeEach(() => {
    prefix = `store-api:test:cache-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  });

  afterAll(async () => {
    services.forEach((service) => service.onApplicationShutdown());
    redis.disconnect();
  });

  it('drops the L1 copy on the other instance within 100 ms of an invalidation', async () => {
    const a = await instance(prefix);
    const b = await instance(prefix);
    const key = { namespace: 'products', id: 1 };
    await a.getOrSet(key, async () => ({ name: 'v1' }));
    expect(await b.getOrSet(key, async () => ({ name: 'never' }))).toEqual({ name: 'v1' });
    const name = `${prefix}:products:v0:1`;
    expect(inL1(b, name)).toBe(true);

    const started = Date.now();
    await a.set(key, { name: 'v2' });
    const dropped = await waitFor(() => !inL1(b, name), 1_000, 'B to drop its L1 copy');
    expect(dropped, `dropped ${dropped} ms after the write returned`).toBeLessThan(100);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await b.get(key)).toEqual({ name: 'v2' });

    await a.delete(key);
    await waitFor(() => !inL1(b, name), 100, 'B to drop again');
    expect(await b.get(key)).toBeUndefined();
  });

  it('runs the loader once for 200 concurrent calls on a cold key across two instances', async () => {
    const a = await instance(prefix);
    const b = await instance(prefix);
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(150);
      return { hot: true, at: Date.now() };
    };
    const key = { namespace: 'products', id: 'cold' };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) => (index % 2 ? a : b).getOrSet(key, loader)),
    );
    expect(loads).toBe(1);
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
    expect(a.stats.of('products').lockWaits + b.stats.of('products').lockWaits).toBeGreaterThan(0);
  });

  it('serves stale while one background refresh runs, then the refreshed value', async () => {
    const service = await instance(prefix, { ttlJitter: 0 });
    const key = { namespace: 'swr', id: 1 };
    let version = 0;
    const loader = async () => {
      version++;
      await sleep(50);
      return { version };
    };
    expect(await service.getOrSet(key, loader, { ttlMs: 100, graceMs: 5_000 })).toEqual({ version: 1 });
    await sleep(150);
    const stale = await service.getOrSetEntry(key, loader, { ttlMs: 100, graceMs: 5_000 });
    expect(stale).toMatchObject({ value: { version: 1 }, status: 'STALE' });
    const alsoStale = await service.getOrSetEntry(key, loader, { ttlMs: 100, graceMs: 5_000 });
    expect(alsoStale.status).toBe('STALE');
    await sleep(100);
    const fresh = await service.getOrSetEntry(key, loader, { ttlMs: 10_000 });
    expect(fresh).toMatchObject({ value: { version: 2 }, status: 'HIT' });
    expect(version, 'one refresh, however many stale reads').toBe(2);
  });

  it('caches "not found" for its own short TTL', async () => {
    const service = await instance(prefix, { negativeTtlMs: 200, ttlJitter: 0 });
    let calls = 0;
    const loader = async () => {
      calls++;
      return null;
    };
    const key = { namespace: 'products', id: 404 };
    expect(await service.getOrSet(key, loader)).toBeNull();
    expect(await service.getOrSet(key, loader)).toBeNull();
    expect(calls).toBe(1);
    await sleep(250);
    expect(await service.getOrSet(key, loader)).toBeNull();
    expect(calls).toBe(2);
  });

  it('serves the last good value within grace when the loader fails', async () => {
    const service = await instance(prefix, { ttlJitter: 0 });
    const key = { namespace: 'products', id: 'flaky' };
    await service.getOrSet(key, async () => 'good', { ttlMs: 50, graceMs: 5_000 });
    await sleep(80);
    await service.getOrSet(key, async () => Promise.reject(new Error('db down')), { ttlMs: 50, graceMs: 5_000 });
    await sleep(50);
    // The failed refresh left the good value in place.
    expect(
      await service.getOrSet(key, async () => Promise.reject(new Error('db down')), { ttlMs: 50, graceMs: 5_000 }),
    ).toBe('good');
  });

  it('getMany: one MGET for L2, one loader call for all misses', async () => {
    const a = await instance(prefix);
    const b = await instance(prefix);
    const keys = [1, 2, 3, 4].map((id) => ({ namespace: 'products', id }));
    await a.set(keys[0], 'one');
    await a.set(keys[1], 'two');
    const calls: unknown[][] = [];
    const values = await b.getMany(keys, async (missing) => {
      calls.push(missing.map((key) => key.id));
      return new Map([[3, 'three']]);
    });
    expect(values).toEqual(['one', 'two', 'three', null]);
    expect(calls).toEqual([[3, 4]]);
  });

  it('bumping a namespace invalidates all of it at once, on every instance', async () => {
    const a = await instance(prefix);
    const b = await instance(prefix);
    await a.set({ namespace: 'lists', id: 'page-1' }, 'old-1');
    await a.set({ namespace: 'lists', id: 'page-2' }, 'old-2');
    expect(await b.get({ namespace: 'lists', id: 'page-1' })).toBe('old-1');
    await a.bumpNamespace('lists');
    await sleep(50);
    expect(await b.get({ namespace: 'lists', id: 'page-1' })).toBeUndefined();
    expect(await a.get({ namespace: 'lists', id: 'page-2' })).toBeUndefined();
  });

  it('drops small tags with their entries, on every instance; in one Redis call on a single server', async () => {
    const a = await instance(prefix);
    const b = await instance(prefix);
    await waitFor(() => b.stats.busResyncs > 0, 5_000, 'the bus to subscribe');
    const keys = [1, 2, 3].map((id) => ({ namespace: 'products', id }));
    await Promise.all(keys.map((key, i) => a.set(key, { id: key.id }, { tags: [`t${i % 2}`, 'all'] })));
    for (const key of keys) expect(await b.get(key)).toEqual({ id: key.id });
    const wire = new WireCounts();
    try {
      const { result: deleted, redis: calls } = await wire.measure(() => a.invalidateTags(['t0', 'absent']));
      expect(deleted).toBe(2);
      if (mode === 'single') expect(calls).toEqual([expect.stringMatching(/^eval(sha)?$/)]);
    } finally {
      wire.close();
    }
    expect((await keysPerNode(redis, `${prefix}:tag:t0`)).flat()).toEqual([]);
    expect(await a.get(keys[1])).toEqual({ id: 2 });
    await waitFor(() => !inL1(b, `${prefix}:products:v0:1`), 1_000, 'B to drop its L1 copy');
    expect([await b.get(keys[0]), await b.get(keys[1]), await b.get(keys[2])]).toEqual([
      undefined,
      { id: 2 },
      undefined,
    ]);
  });

  it('invalidates a tag of 10,000 keys in batches, without KEYS and without blocking Redis', async () => {
    const service = await instance(prefix, { l1: { maxEntries: 100 }, commandTimeoutMs: 1_000 });
    const tag = `bulk-${Date.now()}`;
    for (let start = 0; start < 10_000; start += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          service.set({ namespace: 'bulk', id: start + i }, { n: start + i }, { tags: [tag] }),
        ),
      );
    }
    expect(await redis.scard(`${prefix}:tag:${tag}`)).toBe(10_000);
    const keysCallsBefore = await keysCalls(redis);

    const probe = createRedisClient(cacheRedis(mode));
    // Connected first (on a cluster: to every master), so the probe times commands, not connects.
    expect(await whenReady(probe, 2_000)).toBe(true);
    let probing = true;
    let worstPingMs = 0;
    const pinger = (async () => {
      while (probing) {
        const started = performance.now();
        await probe.ping();
        worstPingMs = Math.max(worstPingMs, performance.now() - started);
        await sleep(1);
      }
    })();
    const deleted = await service.invalidateTags([tag]);
    probing = false;
    await pinger;
    probe.disconnect();

    expect(deleted).toBe(10_000);
    expect((await keysPerNode(redis, `${prefix}:*`)).flat()).toEqual([]);
    expect(await keysCalls(redis)).toBe(keysCallsBefore);
    expect(worstPingMs, 'no command waited long behind a batch').toBeLessThan(25);
  });

  onSingle('keeps answering from loaders when Redis is unreachable, reports the circuit, and recovers', async () => {
    const service = await instance(prefix, {
      circuitFailureThreshold: 3,
      circuitHalfOpenAfterMs: 300,
      commandTimeoutMs: 50,
    });
    const key = { namespace: 'products', id: 'outage' };
    await waitFor(() => service.stats.busResyncs > 0, 5_000, 'the bus to subscribe');
    const resyncsBefore = service.stats.busResyncs;
    stopCacheRedis();
    try {
      let calls = 0;
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        expect(await service.getOrSet({ ...key, id: `outage-${i}` }, async () => ++calls)).toBe(calls);
        expect(performance.now() - started).toBeLessThan(200);
      }
      expect(service.circuit).toBe('open');
      // L1 still answers what it holds.
      expect(await service.getOrSet({ ...key, id: 'outage-3' }, async () => -1)).toBe(4);
    } finally {
      await startCacheRedis();
    }
    await waitFor(
      async () => {
        await service.getOrSet({ ...key, id: `probe-${Date.now()}` }, async () => 'x');
        return service.circuit === 'closed';
      },
      5_000,
      'the circuit to close',
    );
    await service.set(key, 'stored again');
    expect(await redis.exists(`${prefix}:products:v0:outage`)).toBe(1);
    // The bus was down too: invalidations may have been missed, so L1 was cleared on reconnect.
    await waitFor(() => service.stats.busResyncs > resyncsBefore, 5_000, 'the bus to resync');
    expect(inL1(service, `${prefix}:products:v0:outage-3`)).toBe(false);
  });

  it('warms on one instance of many', async () => {
    const a = await instance(prefix);
    const b = await instance(prefix);
    let runs = 0;
    const work = async () => {
      runs++;
      await sleep(200);
    };
    const [first, second] = await Promise.all([
      a.warm('top-products', work, 1_000),
      b.warm('top-products', work, 1_000),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(runs).toBe(1);
  });
});

/** KEYS calls so far, over every node. */
async function keysCalls(redis: RedisClient): Promise<number> {
  const infos = await Promise.all((await mastersOf(redis)).map((node) => node.info('commandstats')));
  return infos.reduce((sum, info) => sum + Number(/cmdstat_keys:calls=(\d+)/.exec(info)?.[1] ?? 0), 0);
}
