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
 * after the worker's backlog was discarded.
 */
export async function mixedCases(
  env: Record<string, string>,
  data: StoreData,
  products: readonly number[],
  worker: BenchWorker,
  baseline: { dir: string; label: string } | undefined,
): Promise<void> {
  const deferred = { ...env, CHECKOUT_CHARGE_MODE: 'deferred' };
  const servers: [string, string | undefined][] = [[CASE.mixed, undefined]];
  if (baseline) servers.push([CASE.mixedBaseline(baseline.label), baseline.dir]);
  for (const [name, cwd] of servers) {
    await worker.fresh();
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
