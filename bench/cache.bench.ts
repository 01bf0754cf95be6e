/**
 * What the cache buys on GET /products/:id, one run, same data, same hot set:
 * L1 hits (in-process) vs L2 hits (Redis, L1 off) vs no cache at all (every request to Postgres).
 * Each API runs in its own process; each case twice; medians and ratios from this run.
 */
import { writeFile } from 'node:fs/promises';
import { apiEnv } from './lib/api-env.js';
import { median, table } from './lib/measure.js';
import { loadMix, type MixResult } from './lib/load.js';
import { ensureBuilt, startApi, stopApi } from './lib/server.js';

const ROUNDS = 2;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const HOT_IDS = 1_000;
const env = apiEnv(undefined);
const cases: [string, Record<string, string>][] = [
  ['cache on: L1 hits', {}],
  ['cache on: L1 hits, rate limits off', { RATE_LIMIT_ENABLED: 'false' }],
  ['cache on, L1 off: L2 (Redis) hits', { CACHE_L1_TTL_MS: '1' }],
  ['cache off: Postgres every time', { CACHE_ENABLED: 'false' }],
];

ensureBuilt();
const randomProduct = () => ({ path: `/products/${1 + Math.floor(Math.random() * HOT_IDS)}` });
const results = new Map<string, MixResult[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, extra] of cases) {
    const port = 3300 + cases.findIndex(([caseName]) => caseName === name);
    const api = await startApi(port, { ...env, ...extra });
    try {
      const base = `http://127.0.0.1:${port}`;
      await loadMix(base, randomProduct, { durationS: 2 }); // warm-up: fills the cache, JITs the paths
      results.set(name, [...(results.get(name) ?? []), await loadMix(base, randomProduct, { durationS: DURATION_S })]);
    } finally {
      await stopApi(api);
    }
  }
}

const rpsOf = (name: string) => median(results.get(name)!.map((result) => result.rps));
const uncached = rpsOf(cases[3][0]);
const l2 = rpsOf(cases[2][0]);
const rows = cases.map(([name]) => {
  const runs = results.get(name)!;
  return {
    case: name,
    'req/s (median)': Math.round(rpsOf(name)),
    'p50 ms': Math.round(median(runs.map((run) => run.p50)) * 10) / 10,
    'p99 ms': Math.round(median(runs.map((run) => run.p99)) * 10) / 10,
    'errors/non-2xx': runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0),
    'vs no cache': (rpsOf(name) / uncached).toFixed(2),
    'vs L2 hit': (rpsOf(name) / l2).toFixed(2),
  };
});
console.log(`\nGET /products/:id over ${HOT_IDS} hot ids, 50 connections, ${ROUNDS} rounds × ${DURATION_S} s\n`);
console.log(table(rows));
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-cache.json`;
await writeFile(file, JSON.stringify({ rounds: ROUNDS, durationS: DURATION_S, hotIds: HOT_IDS, rows }, null, 2));
console.log(`written to ${file}`);
