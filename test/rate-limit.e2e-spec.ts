import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes, randomInt } from 'node:crypto';
import { ApiKeysService } from '../src/api-keys/index.js';
import { AuthGuard } from '../src/auth/auth.guard.js';
import { RateLimitService } from '../src/rate-limit/index.js';
import { startCacheRedis, stopCacheRedis } from './support/cache-redis.js';
import { inspectRedis, keysPerNode, mastersOf, REDIS_MODES, redisEnv, slotsOf } from './support/redis-mode.js';
import { ADMIN_EMAIL, createTestApp } from './support/test-app.js';

const LEASE_MAX = 20;

/** Two instances of the app on one Redis (or one cluster), with the documented limits (not the test suite's). */
describe.each(REDIS_MODES)('rate limits (e2e: two app instances, real Redis: %s)', (mode) => {
  const limits = {
    RATE_LIMIT_DEFAULT: '100',
    RATE_LIMIT_AUTH: '5',
    RATE_LIMIT_SEARCH: '30',
    RATE_LIMIT_ACCOUNT: '10',
    RATE_LIMIT_LEASE_MAX: String(LEASE_MAX),
    ...redisEnv(mode),
  };
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;
  // Tests that stop the single cache Redis, and checks of what lands in the cluster.
  const onSingle = mode === 'single' ? it : it.skip;
  const onCluster = mode === 'cluster' ? it : it.skip;

  beforeAll(async () => {
    // Counts outlive test files: earlier files' logins (per account, per 127.0.0.1) would count here.
    const redis = inspectRedis(mode, 'cache');
    try {
      const nodes = await mastersOf(redis);
      const perNode = await keysPerNode(redis, 'store-api:test:rate-limit:*');
      // One key per DEL: a cluster node refuses a multi-key command across slots.
      await Promise.all(perNode.flatMap((keys, index) => keys.map((key) => nodes[index].del(key))));
    } finally {
      redis.disconnect();
    }
    [first, second] = await Promise.all([createTestApp(limits), createTestApp(limits)]);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  /** A client of its own: a fresh address (an anonymous caller's bucket); new each run, as counts outlive runs. */
  const run = randomInt(256);
  let clients = 0;
  const client = () => `10.${run}.${(mode === 'single' ? 0 : 128) + (clients >> 8)}.${clients++ & 255}`;
  const get = (app: NestFastifyApplication, url: string, from: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers, remoteAddress: from });
  const wrongLogin = (
    app: NestFastifyApplication,
    from: string,
    headers: Record<string, string> = {},
    email = 'user5@example.com',
  ) =>
    app.inject({
      method: 'POST',
      url: '/auth/login',
      headers,
      remoteAddress: from,
      payload: { email, password: 'wrong-password' },
    });
  const remainingOf = (header: unknown) => Number(/"default";r=(\d+)/.exec(String(header))?.[1]);
  /** Logs in from an address of its own: 127.0.0.1's auth count is every earlier file's logins. */
  const loginAs = async (app: NestFastifyApplication, email: string) => {
    const response = await app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: client(),
      payload: { email, password: 'password' },
    });
    expect(response.statusCode, response.body).toBe(200);
    return { authorization: `Bearer ${response.json().accessToken}` };
  };

  it('shares one count between instances: the 101st request in a minute is a 429 with Retry-After and the IETF headers', async () => {
    const from = client();
    // A cached product (answered by the edge once warm) and a plain route, on both instances.
    for (let i = 0; i < 100; i++) {
      const response = await get(i % 2 ? second : first, i % 4 < 2 ? '/products/1' : '/products?limit=1', from);
      expect(response.statusCode, `request ${i + 1}`).toBe(200);
      expect(response.headers['ratelimit-policy']).toBe('"default";q=100;w=60');
      expect(response.headers['ratelimit']).toMatch(/^"default";r=\d+;t=\d+$/);
      // Each instance knows the others' leases only at its own Redis calls: off by at most their leases.
      expect(
        Math.abs(remainingOf(response.headers['ratelimit']) - (99 - i)),
        `remaining at ${i + 1}`,
      ).toBeLessThanOrEqual(2 * LEASE_MAX);
    }
    for (const [app, url] of [
      [first, '/products/1'],
      [second, '/products?limit=1'],
    ] as const) {
      const refused = await get(app, url, from);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(120);
      expect(refused.headers['ratelimit']).toMatch(/^"default";r=0;t=\d+$/);
      // The IETF fields only: the older X-RateLimit-* trio is no longer sent.
      expect(refused.headers['x-ratelimit-remaining']).toBeUndefined();
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ status: 429, type: expect.stringContaining('rate-limited') });
    }
    // Another client is not affected; probes are never limited.
    expect((await get(first, '/products/1', client())).statusCode).toBe(200);
    const probe = await get(second, '/health/live', from);
    expect(probe.statusCode).toBe(200);
    expect(probe.headers['ratelimit']).toBeUndefined();
  });

  it('admits a burst of 3× the limit through both instances within the bound, then refuses on both', async () => {
    const from = client();
    const burst = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        get(i % 2 ? second : first, i % 3 ? '/products/2' : '/products?limit=2', from),
      ),
    );
    const admitted = burst.filter((response) => response.statusCode === 200).length;
    console.log(`rate-limit burst (${mode}): ${admitted} of 300 admitted (limit 100, leases ≤ ${LEASE_MAX})`);
    expect(burst.every((response) => [200, 429].includes(response.statusCode))).toBe(true);
    // Never more than the limit (leases are counted when granted). Fewer only by leases left
    // unspent (≤ 2 × LEASE_MAX), which a burst that outlasts the budget on both instances does not
    // leave: leased requests pass even after Redis refused a later one (before that fix: 58–61).
    expect(admitted).toBe(100);
    for (const app of [first, second]) expect((await get(app, '/products/2', from)).statusCode).toBe(429);
  });

  it('costs a hot client far less than one Redis call per request (leases)', async () => {
    const limiter = first.get(RateLimitService);
    const from = client();
    const calls = limiter.redisCalls;
    for (let i = 0; i < 60; i++) expect((await get(first, '/products/3', from)).statusCode).toBe(200);
    // Leases shrink as the budget runs out, so the last ones count one by one: still ≤ 0.2 per request.
    expect((limiter.redisCalls - calls) / 60).toBeLessThanOrEqual(0.2);
  });

  onCluster('keeps the counters in the cluster: both windows a check reads share one slot', async () => {
    const redis = inspectRedis(mode, 'cache');
    try {
      const keys = (await keysPerNode(redis, 'store-api:test:rate-limit:{*}:*')).flat();
      expect(keys.length).toBeGreaterThan(0);
      // `…:{policy:client}:<window start>`: the script reads it with the previous window; the
      // hash tag keeps the two in one slot (else the cluster refuses the script: CROSSSLOT).
      for (const current of keys.slice(0, 20)) {
        const previous = current.replace(/:(\d+)$/, (_, start: string) => `:${Number(start) - 60_000}`);
        expect((await slotsOf(redis, [current, previous])).size).toBe(1);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('applies the named policies where routes ask: search 30, auth 5 (both instances)', async () => {
    const from = client();
    for (let i = 0; i < 30; i++)
      expect((await get(i % 2 ? first : second, `/products/search?q=lamp${i % 3}`, from)).statusCode).toBe(200);
    // Search leases may be unspent on one instance: at most a few more are refused early.
    const search = await get(first, '/products/search?q=lamp0', from);
    expect(search.statusCode).toBe(429);
    expect(search.headers['ratelimit-policy']).toBe('"default";q=100;w=60, "search";q=30;w=60');
    expect((await get(first, '/products/1', from)).statusCode).toBe(200); // default still has room

    const auth = client();
    for (let i = 0; i < 5; i++) expect((await wrongLogin(i % 2 ? first : second, auth)).statusCode).toBe(401);
    const refused = await wrongLogin(first, auth);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['ratelimit']).toMatch(/"auth";r=0;t=\d+/);
  });

  it('refuses an unknown API key with 401, counting it by IP: 8 wrong logins with 8 made-up keys → 429 by the 6th', async () => {
    const from = client();
    const redis = inspectRedis(mode, 'cache');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const response = await wrongLogin(i % 2 ? second : first, from, {
          'x-api-key': `sk_${randomBytes(40).toString('base64url')}`,
        });
        statuses.push(response.statusCode);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      // No bucket was made for any key: only this address's.
      const buckets = (await keysPerNode(redis, 'store-api:test:rate-limit:*')).flat();
      expect(buckets.filter((key) => key.includes(`ip:${from}}`)).length).toBeGreaterThan(0);
      expect(buckets.filter((key) => /:key:/.test(key) && !/:key:\d+\}/.test(key))).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('counts a registered API key as itself, with its own limits; a revoked key is a 401', async () => {
    const keys = first.get(ApiKeysService);
    const issued = await keys.issue({ name: `rate-limit-${mode}-${Date.now()}`, limits: { default: 3 } });
    const from = client();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await get(i % 2 ? second : first, '/products/4', from, { 'x-api-key': issued.key })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // The address itself still has its own budget.
    expect((await get(first, '/products/4', from)).statusCode).toBe(200);
    await keys.revoke(issued.id);
    const revoked = await get(first, '/products/4', client(), { 'x-api-key': issued.key });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json()).toMatchObject({ type: expect.stringContaining('unknown-api-key') });
  });

  it('limits logins per account across addresses (10 per window)', async () => {
    const email = 'user6@example.com';
    for (let i = 0; i < 10; i++)
      expect((await wrongLogin(i % 2 ? first : second, client(), {}, email)).statusCode).toBe(401);
    const refused = await wrongLogin(first, client(), {}, email);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another account from the same address is unaffected.
    expect((await wrongLogin(second, client(), {}, 'user7@example.com')).statusCode).toBe(401);
  });

  it('counts a signed-in client as one bucket, cache hit or not; answers hits before any guard; a 304 still counts', async () => {
    const headers = await loginAs(first, 'user8@example.com');
    const guard = first.get(AuthGuard);
    const canActivate = vi.spyOn(guard, 'canActivate');
    try {
      const warm = await get(first, '/products/5', client(), headers);
      const etag = String(warm.headers.etag);
      canActivate.mockClear();
      const hit = await get(first, '/products/5', client(), headers);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(canActivate).not.toHaveBeenCalled();
      const me = await get(first, '/me', client(), headers);
      expect(me.statusCode).toBe(200);
      expect(canActivate).toHaveBeenCalled();
      const notModified = await get(first, '/products/5', client(), { ...headers, 'if-none-match': etag });
      expect(notModified.statusCode).toBe(304);
      // Hits, a guarded route and a 304, from three addresses: one bucket, counted down by each.
      const [a, b, c] = [hit, me, notModified].map((response) => remainingOf(response.headers['ratelimit']));
      expect(b).toBe(a - 1);
      expect(c).toBe(b - 1);
    } finally {
      canActivate.mockRestore();
    }
  });

  it('keeps the queue board to admins: a wrong password and a non-admin get the same 401', async () => {
    const basic = (email: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
    });
    const wrong = await get(first, '/admin/queues/api/queues', client(), basic(ADMIN_EMAIL, 'not-the-password'));
    const customer = await get(first, '/admin/queues/api/queues', client(), basic('user9@example.com', 'password'));
    const bearer = await get(first, '/admin/queues/api/queues', client(), await loginAs(second, 'user9@example.com'));
    for (const response of [wrong, customer, bearer]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic/);
    }
    expect(customer.json().detail).toBe(wrong.json().detail);
    expect(bearer.json().detail).toBe(wrong.json().detail);
    expect((await get(first, '/admin/queues/api/queues', client(), basic(ADMIN_EMAIL, 'password'))).statusCode).toBe(
      200,
    );
    // Password checks count under `auth`: the 6th wrong one from an address is a 429.
    const from = client();
    for (let i = 0; i < 5; i++)
      expect((await get(first, '/admin/queues/api/queues', from, basic(ADMIN_EMAIL, `guess-${i}`))).statusCode).toBe(
        401,
      );
    expect((await get(first, '/admin/queues/api/queues', from, basic(ADMIN_EMAIL, 'guess-6'))).statusCode).toBe(429);
  });

  onSingle(
    'with Redis down: requests are served (fail-open, counted), logins fail closed with 503 and Retry-After',
    async () => {
      const stats = first.get(RateLimitService).stats;
      const before = stats.failOpen;
      stopCacheRedis();
      try {
        const from = client();
        for (let i = 0; i < 3; i++) expect((await get(first, '/products?limit=1', from)).statusCode).toBe(200);
        expect(stats.failOpen).toBeGreaterThanOrEqual(before + 3);
        const refused = await wrongLogin(first, from);
        expect(refused.statusCode).toBe(503);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      } finally {
        await startCacheRedis();
      }
    },
  );
});
