/**
 * What tracing costs on GET /products/:id: cached (L1 hits) and uncached (cache off: Postgres every
 * time), with tracing off (the preload present, no endpoint: as production runs without a
 * collector), on at 100 % and on at 10 % (parentbased_traceidratio), exporting over OTLP/HTTP to a
 * receiver in this process. Each API in its own process; each case twice; medians and ratios.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { apiEnv } from './lib/api-env.js';
import { median, table } from './lib/measure.js';
import { loadMix, type MixResult } from './lib/load.js';
import { ensureBuilt, startApi, stopApi } from './lib/server.js';

const ROUNDS = 2;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const HOT_IDS = 1_000;
const PORT = 4700;

// The collector: takes each batch and counts its bytes (decoding is the collector's cost, not ours).
let exportedBytes = 0;
const receiver = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
  request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const preload = { NODE_OPTIONS: '--import=./dist/tracing/register.js' };
const tracing = (ratio: string) => ({
  ...preload,
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: ratio,
  OTEL_BSP_SCHEDULE_DELAY: '1000',
});
const uncached = { CACHE_ENABLED: 'false' };
const cases: [string, Record<string, string>][] = [
  ['cached, tracing off', preload],
  ['cached, tracing 100 %', tracing('1')],
  ['cached, tracing 10 %', tracing('0.1')],
  ['uncached, tracing off', { ...preload, ...uncached }],
  ['uncached, tracing 100 %', { ...tracing('1'), ...uncached }],
  ['uncached, tracing 10 %', { ...tracing('0.1'), ...uncached }],
];

ensureBuilt();
const env = apiEnv(undefined);
const randomProduct = () => ({ path: `/products/${1 + Math.floor(Math.random() * HOT_IDS)}` });
const results = new Map<string, (MixResult & { exportedKBps: number })[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, extra] of cases) {
    const api = await startApi(PORT, { ...env, ...extra });
    try {
      const base = `http://127.0.0.1:${PORT}`;
      await loadMix(base, randomProduct, { durationS: 1.5 }); // warm-up: fills the cache, JITs the paths
      const before = exportedBytes;
      const result = await loadMix(base, randomProduct, { durationS: DURATION_S });
      const exportedKBps = (exportedBytes - before) / 1024 / DURATION_S;
      results.set(name, [...(results.get(name) ?? []), { ...result, exportedKBps }]);
    } finally {
      await stopApi(api);
    }
  }
}
receiver.close();

const rpsOf = (name: string) => median(results.get(name)!.map((result) => result.rps));
const rows = cases.map(([name]) => {
  const runs = results.get(name)!;
  const off = rpsOf(name.replace(/tracing .*/, 'tracing off'));
  return {
    case: name,
    'req/s (median)': Math.round(rpsOf(name)),
    'p50 ms': Math.round(median(runs.map((run) => run.p50)) * 10) / 10,
    'p99 ms': Math.round(median(runs.map((run) => run.p99)) * 10) / 10,
    'errors/non-2xx': runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0),
    'exported KB/s': Math.round(median(runs.map((run) => run.exportedKBps))),
    'vs tracing off': (rpsOf(name) / off).toFixed(2),
  };
});
console.log(`\nGET /products/:id over ${HOT_IDS} hot ids, 50 connections, ${ROUNDS} rounds × ${DURATION_S} s\n`);
console.log(table(rows));
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-tracing.json`;
await writeFile(file, JSON.stringify({ rounds: ROUNDS, durationS: DURATION_S, hotIds: HOT_IDS, rows }, null, 2));
console.log(`written to ${file}`);
