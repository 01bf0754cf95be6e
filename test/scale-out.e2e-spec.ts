import { createHash } from 'node:crypto';
import type pg from 'pg';
import { loginOver, startApi, startWorker, type ApiProcess, type AppProcess } from './support/app-process.js';
import { freePorts } from './support/free-port.js';
import { inspectRedis, keysPerNode } from './support/redis-mode.js';
import { connect } from './support/sql.js';
import { waitFor } from './support/wait-for.js';

/**
 * Scale-out: two API processes on two ports and a worker, sharing one Redis (cache role), one
 * primary and its replicas. What one instance does, the other must see: L1 invalidations, the rate
 * limit count, and the stampede lock on a cold hot key.
 */
describe('scale-out: two API instances and a worker (e2e: real processes)', () => {
  const LIMIT = 120;
  let a: ApiProcess;
  let b: ApiProcess;
  let worker: AppProcess;
  let sql: pg.Client;
  const redis = inspectRedis('single', 'cache');

  beforeAll(async () => {
    // Logins share the auth policy's per-IP count with earlier test files: not what this file tests.
    const env = {
      RATE_LIMIT_DEFAULT: String(LIMIT),
      RATE_LIMIT_AUTH: '1000000',
      RATE_LIMIT_ACCOUNT: '1000000',
      RATE_LIMIT_LEASE_MAX: '20',
      // Each part of this file is a client of its own, by the address a (trusted, local) proxy names.
      TRUST_PROXY: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WORKER_METRICS_PORT: '0',
    };
    // Each API's metrics on its own operations port (not served on the app port).
    const [opsA, opsB] = await freePorts(2);
    [a, b, worker] = await Promise.all([
      startApi(3941, { ...env, OPS_PORT: String(opsA) }),
      startApi(3942, { ...env, OPS_PORT: String(opsB) }),
      startWorker(env),
    ]);
    sql = await connect();
    // This file's limit is 120 a minute; earlier files' requests (the fuzz test's admin calls, by
    // user id) would count against it. Start from no counts.
    const counts = (await keysPerNode(redis, 'store-api:test:rate-limit:*')).flat();
    if (counts.length) await redis.del(...counts);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), worker?.stop()]);
    await sql?.end();
    redis.disconnect();
  });

  /** Each part of this file (and each run) is its own client (address), so their limits don't mix. */
  const run = Date.now();
  const from = (client: string) => {
    const [a, b, c] = createHash('sha256').update(`${client}-${run}`).digest();
    return { 'x-forwarded-for': `10.${a}.${b}.${c}` };
  };
  const get = (api: ApiProcess, path: string, client: string) => fetch(`${api.base}${path}`, { headers: from(client) });
  const loads = async (api: ApiProcess) => {
    const text = await (await fetch(`${api.ops}/metrics`)).text();
    return Number(/^cache_loads_total\{namespace="products"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  it('an update through instance A is seen by a read on instance B within 100 ms (L1 invalidation over the bus)', async () => {
    const { rows } = await sql.query<{ id: number; price_cents: number }>(
      `SELECT id, price_cents FROM products WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET ${700 + (run % 500)}`,
    );
    const { id, price_cents: price } = rows[0];
    // B holds the product in its L1 (reads come back as hits).
    await waitFor(
      async () => (await get(b, `/products/${id}`, 'scale-sync')).headers.get('x-cache')?.startsWith('HIT') ?? false,
      5_000,
      `product ${id} cached on B`,
    );

    // From an address of its own: 127.0.0.1 shares the count of every earlier test file's requests.
    const authorization = await loginOver(a, 'admin@example.com', from('scale-login'));
    const updated = await fetch(`${a.base}/products/${id}`, {
      method: 'PATCH',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ priceCents: price + 1 }),
    });
    expect(updated.status, await updated.clone().text()).toBe(200);
    const started = performance.now();
    let seenAfterMs = Infinity;
    while (performance.now() - started < 1_000) {
      const product = (await (await get(b, `/products/${id}`, 'scale-sync')).json()) as { priceCents: number };
      if (product.priceCents === price + 1) {
        seenAfterMs = performance.now() - started;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    console.log(`instance B saw A's update after ${seenAfterMs.toFixed(1)} ms`);
    expect(seenAfterMs).toBeLessThan(100);
  });

  it('shares one rate-limit count: the limit is reached across both instances, then both refuse', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const response = await get(i % 2 ? b : a, `/products/${1 + (i % 40)}`, 'scale-limit');
      statuses.push(response.status);
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    for (const api of [a, b]) {
      const refused = await get(api, '/products/1', 'scale-limit');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('counts a concurrent burst within the bound: of 1.5 × the limit sent at once through both, never more than the limit pass', async () => {
    // Each instance counts a busy client's concurrent requests in batches and spends leases of its
    // budget locally; across instances the counts never exceed the limit, and fall short of it by
    // at most the leases left unspent (2 × RATE_LIMIT_LEASE_MAX). (A Redis reply later than the
    // deadline would let requests through uncounted, by policy: checked to be none.)
    const failOpen = async () => {
      const texts = await Promise.all([a, b].map(async (api) => (await fetch(`${api.ops}/metrics`)).text()));
      return texts.reduce(
        (sum, text) =>
          sum + Number(/^rate_limit_store_unavailable_total\{outcome="fail_open"\} (\d+)/m.exec(text)?.[1]),
        0,
      );
    };
    const failedOpenBefore = await failOpen();
    const responses = await Promise.all(
      Array.from({ length: LIMIT * 1.5 }, (_, i) => get(i % 2 ? b : a, `/products/${1 + (i % 40)}`, 'scale-burst')),
    );
    const statuses = responses.map((response) => response.status);
    expect(await failOpen()).toBe(failedOpenBefore);
    const admitted = statuses.filter((status) => status === 200).length;
    console.log(`scale-out burst: ${admitted} of ${LIMIT * 1.5} admitted (limit ${LIMIT})`);
    expect(admitted).toBeLessThanOrEqual(LIMIT);
    expect(admitted).toBeGreaterThanOrEqual(LIMIT - 2 * 20);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
  });

  it('a cold hot key hammered through both instances is loaded from the database once (distributed stampede lock)', async () => {
    // A product nobody has ordered (so no warm-up loaded it), dropped from Redis: cold everywhere.
    const { rows } = await sql.query<{ id: number }>(
      `SELECT p.id FROM products p WHERE status = 'active' AND NOT EXISTS (SELECT 1 FROM order_items oi WHERE oi.product_id = p.id)
       ORDER BY p.id DESC LIMIT 1 OFFSET 3`,
    );
    const id = rows[0].id;
    const stale = (await keysPerNode(redis, `store-api:test:products:v*:${id}`)).flat();
    if (stale.length) await redis.del(...stale);
    const before = (await loads(a)) + (await loads(b));
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => get(i % 2 ? b : a, `/products/${id}`, `scale-stampede-${i % 10}`)),
    );
    const bodies = await Promise.all(responses.map((response) => response.json() as Promise<{ id: number }>));
    expect(responses.map((response) => response.status).filter((status) => status !== 200)).toEqual([]);
    expect(new Set(bodies.map((body) => body.id))).toEqual(new Set([id]));
    const after = (await loads(a)) + (await loads(b));
    expect(after - before).toBe(1);
  });
});
