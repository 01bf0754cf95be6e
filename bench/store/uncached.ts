import { isDeepStrictEqual } from 'node:util';
import { startApi, startProcess, stopApi } from '../lib/server.js';
import { bearerFor, get, login, run, withServer, type StoreData } from './context.js';
import { BASE, CASE, PORT, enabled } from './settings.js';

/** Baseline (d), bench/peers/fastify-pg.ts, on the API's database, replicas, pool sizes and JWT secret. */
export function startPeer(env: Record<string, string>) {
  return startProcess(['--import', 'tsx', 'bench/peers/fastify-pg.ts'], {
    PORT: String(PORT.peer),
    DATABASE_URL: env.DATABASE_URL,
    DATABASE_REPLICA_URLS: env.DATABASE_REPLICA_URLS,
    JWT_SECRET: env.JWT_SECRET,
    ...(env.DB_POOL_MAX ? { DB_POOL_MAX: env.DB_POOL_MAX } : {}),
    ...(env.DB_REPLICA_POOL_MAX ? { DB_REPLICA_POOL_MAX: env.DB_REPLICA_POOL_MAX } : {}),
  });
}

/**
 * The peer must answer what the API answers, once parsed: a product, list page 1 and an orders
 * page, asked of both at the same moment, a few times over (a replica replaying a write another
 * client just made answers one of them the older row). @throws on a lasting difference
 */
export async function checkSameAnswers(env: Record<string, string>, data: StoreData): Promise<void> {
  const servers = await Promise.allSettled([startPeer(env), startApi(PORT.api, { ...env, CACHE_ENABLED: 'false' })]);
  const stopAll = () =>
    Promise.all(servers.map((server) => (server.status === 'fulfilled' ? stopApi(server.value) : undefined)));
  const failed = servers.find((server) => server.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  try {
    const authorization = bearerFor(data.buyer.id);
    const product = data.productIds[Math.floor(data.productIds.length / 2)];
    for (const path of [`/products/${product}`, '/products?limit=20', '/orders?limit=50']) {
      for (let attempt = 1; ; attempt++) {
        const [ours, theirs] = await Promise.all(
          [BASE.api, BASE.peer].map(async (base) =>
            (await fetch(`${base}${path}`, { headers: { authorization } })).json(),
          ),
        );
        if (isDeepStrictEqual(ours, theirs)) break;
        if (attempt === 5)
          throw new Error(
            `Fastify + pg answers ${path} unlike the API:\n${JSON.stringify(theirs)}\nthe API:\n${JSON.stringify(ours)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await stopAll();
  }
}

/**
 * Uncached requests beside their floor: product detail (Zipf), list page 1 and an orders page of 50
 * from Fastify + pg (d), then from this API with the cache off (b), plus the API's deep keyset page.
 */
export async function uncachedCases(env: Record<string, string>, data: StoreData): Promise<void> {
  if (enabled('peer'))
    await withServer(
      () => startPeer(env),
      async () => {
        await run(CASE.peer, BASE.peer, () => get(data.productPath()));
        await run(CASE.listPeer, BASE.peer, () => get('/products?limit=20'));
        const authorization = bearerFor(data.buyer.id);
        await run(CASE.ordersPeer, BASE.peer, () => get('/orders?limit=50', 'orders', { authorization }));
      },
    );
  if (enabled('product') || enabled('peer'))
    await withServer(
      () => startApi(PORT.api, { ...env, CACHE_ENABLED: 'false' }),
      async () => {
        await run(CASE.cacheOff, BASE.api, () => get(data.productPath()));
        await run(CASE.list, BASE.api, () => get('/products?limit=20'));
        await run(CASE.deep, BASE.api, () => get(`/products?limit=20&cursor=${data.deepCursor}`));
        const authorization = await login(data.buyer.email);
        await run(CASE.ordersCacheOff, BASE.api, () => get('/orders?limit=50', 'orders', { authorization }));
      },
    );
}
