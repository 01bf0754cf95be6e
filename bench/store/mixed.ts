import { Redis } from 'ioredis';
import { mulberry32 } from '../../scripts/db/seed-data.js';
import type { BenchWorker } from '../lib/checkout-fixtures.js';
import type { MixRequest } from '../lib/load.js';
import { zipfSampler } from '../lib/zipf.js';
import { bearerFor, checkoutRequest, get, run, startWarmedApi, withServer, type StoreData } from './context.js';
import { BASE, CASE } from './settings.js';

/**
 * 70 % product detail (Zipf), 10 % list page 1, 15 % search, 5 % checkout (20 buyers), from seeded
 * sequences: every server measured with it gets the very same requests in the same order.
 */
function mixedWorkload(data: StoreData, products: readonly number[]): () => MixRequest {
  const random = mulberry32(13);
  const zipf = zipfSampler(data.productIds, { s: 1, seed: 7 });
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)];
  const buyers = Array.from({ length: 20 }, (_, i) => bearerFor(i + 10));
  return () => {
    const dice = random();
    if (dice < 0.7) return get(`/products/${zipf()}`, 'read');
    if (dice < 0.8) return get('/products?limit=20', 'read');
    if (dice < 0.95) return get(`/products/search?q=${pick(data.searchTerms)}`, 'search');
    return checkoutRequest(pick(buyers), pick(products));
  };
}

/**
 * The mixed workload on this API, catalog warmed, checkouts deferred (the mode meant for load),
 * then — same env, port, worker and workload — on another commit's build (`baseline`), each
 * after the worker's backlog was discarded and with no search cached: what an earlier case (or
 * the other build, whose keys are the same) left in Redis would otherwise decide the result. The
 * two take turns going first (`round`): the first pays for the database's cold buffers (measured:
 * ours 591 vs 698 going first, 684 vs 349 going second), so with 2 rounds each pays once.
 */
export async function mixedCases(
  env: Record<string, string>,
  data: StoreData,
  products: readonly number[],
  worker: BenchWorker,
  baseline: { dir: string; label: string } | undefined,
  round: number,
): Promise<void> {
  const deferred = { ...env, CHECKOUT_CHARGE_MODE: 'deferred' };
  const servers: [string, string | undefined][] = [[CASE.mixed, undefined]];
  if (baseline) servers.push([CASE.mixedBaseline(baseline.label), baseline.dir]);
  if (round % 2 === 0) servers.reverse();
  for (const [name, cwd] of servers) {
    await worker.fresh();
    await dropCachedSearches(env);
    await withServer(
      () =>
        startWarmedApi(deferred, data, {
          cwd,
          label: cwd ? 'baseline catalog warm-up s' : undefined,
        }),
      () => run(name, BASE.api, mixedWorkload(data, products)),
    );
  }
}

/** Every cached search response and ranking (both builds' namespaces), on the cache Redis. */
async function dropCachedSearches(env: Record<string, string>): Promise<void> {
  const nodes = env.REDIS_CACHE_CLUSTER_NODES?.split(',').filter(Boolean) ?? [];
  const urls = nodes.length ? nodes.map((node) => `redis://${node}`) : [env.REDIS_CACHE_URL];
  for (const url of urls) {
    const redis = new Redis(url);
    try {
      for await (const keys of redis.scanStream({ match: '*:product-search*', count: 1000 }) as AsyncIterable<string[]>)
        for (const key of keys) await redis.unlink(key);
    } finally {
      redis.disconnect();
    }
  }
}
