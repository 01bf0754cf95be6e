import { DEFAULT_BASELINE_COMMIT } from '../lib/baseline-build.js';
import { HOT_IDS } from '../lib/hot-set.js';
import { RAMP_RATES } from '../lib/ramp.js';

/** `--quick` (CI): the small test data set, one short round, a non-zero exit on any error. */
export const QUICK = process.argv.includes('--quick');
const knob = (name: string, full: number, quick: number) => (QUICK ? quick : Number(process.env[name] ?? full));
export const ROUNDS = knob('BENCH_ROUNDS', 2, 1);
export const DURATION_S = knob('BENCH_DURATION_S', 8, 1);
export const WARMUP_S = knob('BENCH_WARMUP_S', 3, 1);
// Zipf over ~100k products warms slowly by traffic alone: the cached stacks (ours and the
// NestJS-docs one) get the same longer warm-up before such a measurement, and the hit rate is
// reported. "This API" is also measured the way it is meant to run: the catalog warmed at start.
export const CACHE_WARMUP_S = knob('BENCH_CACHE_WARMUP_S', 20, 1);
export const CHECKOUT_RATE = 20;
export const DEEP_ROWS = 10_000;
/** The checkout ramp: offered rates, seconds per step, and the p99 above which a step was not kept up with. */
export const RAMP = {
  rates: QUICK ? RAMP_RATES.slice(0, 3) : RAMP_RATES,
  stepS: knob('BENCH_RAMP_STEP_S', 4, 1),
  maxP99Ms: Number(process.env.BENCH_RAMP_P99_MS ?? 500),
};
/** The commit whose build the mixed workload is compared with (`none`: skip that case). */
export const BASELINE_COMMIT = process.env.BENCH_BASELINE_COMMIT ?? DEFAULT_BASELINE_COMMIT;
/**
 * Only the scenarios whose name contains one of these (comma-separated), for short targeted runs:
 * BENCH_ONLY=peer,ramp,mixed,baseline,product,hot,orders,search,checkout,pagination.
 */
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
export const enabled = (scenario: string) => !only || only.some((part) => scenario.includes(part));

/** BENCH_PORT_OFFSET moves every port, for a machine where another run holds these. */
const offset = Number(process.env.BENCH_PORT_OFFSET ?? 0);
export const PORT = Object.fromEntries(
  Object.entries({ api: 3500, peer: 3506, bare: 3502, docs: 3503, gateway: 4210, smtp: 2725, smtpHttp: 2780 }).map(
    ([name, port]) => [name, port + offset],
  ),
) as Record<'api' | 'peer' | 'bare' | 'docs' | 'gateway' | 'smtp' | 'smtpHttp', number>;
export const BASE = {
  api: `http://127.0.0.1:${PORT.api}`,
  peer: `http://127.0.0.1:${PORT.peer}`,
  bare: `http://127.0.0.1:${PORT.bare}`,
  docs: `http://127.0.0.1:${PORT.docs}`,
};

/** Case names: rows of the report, read back by its goals. */
export const CASE = {
  bare: 'product: bare Fastify (a)',
  docs: 'product: NestJS-docs stack (c)',
  peer: 'product: Fastify + pg (d)',
  cacheOff: 'product: this API, cache off (b)',
  ours: 'product: this API',
  trafficOnly: 'product: this API, warmed by traffic only',
  hot: {
    bare: `product, ${HOT_IDS} hot ids: bare Fastify (a)`,
    docs: `product, ${HOT_IDS} hot ids: NestJS-docs stack (c)`,
    ours: `product, ${HOT_IDS} hot ids: this API (production defaults)`,
  },
  list: 'list: page 1',
  listPeer: 'list: page 1, Fastify + pg (d)',
  deep: `list: keyset page ${DEEP_ROWS.toLocaleString('en-US')} rows deep`,
  orders: (limit: number) => `orders: page of ${limit}`,
  ordersCacheOff: 'orders: page of 50, cache off (b)',
  ordersPeer: 'orders: page of 50, Fastify + pg (d)',
  search: 'search',
  me: 'me: GET /me, authenticated (token version checked)',
  checkout: (mode: string) => `checkout (${mode}, provider 300 ms, ${CHECKOUT_RATE}/s)`,
  rampOurs: 'checkout saturation: this API (deferred)',
  rampPeer: 'checkout saturation: Fastify + pg (d)',
  halfSaturation: 'checkout at half saturation: this API (deferred)',
  mixed: 'mixed: 80 % reads, 15 % search, 5 % checkout (deferred)',
  mixedBaseline: (commit: string) => `mixed, baseline ${commit} (same workload)`,
};
