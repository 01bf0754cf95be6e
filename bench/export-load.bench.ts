/**
 * An export beside live traffic (issue 16): cached GET /products/:id at a steady open-loop rate,
 * first idle (after 20 s of the same reads, for the heap to settle), then while a full export of
 * the bench data set (every order of the 366-day range, ~1M) streams from the same API process. Goals: read p99 during the export ≤ 2× the idle p99,
 * and the API's RSS (VmRSS, sampled every 100 ms) at most 50 MB over its level before the export.
 *
 * `npm run bench -- export-load [--runs=3] [--format=ndjson|csv] [--encoding=gzip|identity]
 * [--baseline=<commit>]`: with a baseline, that commit's build is measured too, run for run
 * interleaved with this one (a fresh API process each run);
 * BENCH_EXPORT_LOAD_PORT picks the API's port (default 3311), BENCH_API_ENV adds settings
 * (`KEY=value,KEY=value`, e.g. CPU_POOL_THREADS=0 for the inline path).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { JwtService } from '@nestjs/jwt';
import { BENCH_JWT_SECRET, apiEnv } from './lib/api-env.js';
import { ensureBenchDatabase } from './lib/bench-db.js';
import { openLoop } from './lib/load.js';
import { scrape } from './lib/scrape.js';
import { buildBaseline } from './lib/baseline-build.js';
import { ensureBuilt, startApi, stopApi } from './lib/server.js';

const flag = (name: string, fallback: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const RUNS = Number(flag('runs', '3'));
const FORMAT = flag('format', 'ndjson');
const ENCODING = flag('encoding', 'gzip');
const PORT = Number(process.env.BENCH_EXPORT_LOAD_PORT ?? 3311);
const BASE = `http://127.0.0.1:${PORT}`;
const READ_RATE = 200;
const IDLE_S = 8;
const SETTLE_S = 20;
const HOT_IDS = 500;
const RSS_GOAL_MB = 50;
const GOALS = { ratio: '≤ 2 (median of runs)', rssGrowthMb: `≤ ${RSS_GOAL_MB} in every run` };
const BASELINE = flag('baseline', 'none');
const extraEnv = Object.fromEntries(
  (process.env.BENCH_API_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);

const database = await ensureBenchDatabase();
ensureBuilt();
const baseline = BASELINE === 'none' ? undefined : buildBaseline(BASELINE);
const token = new JwtService({ secret: BENCH_JWT_SECRET }).sign({ sub: '1', role: 'admin' }, { expiresIn: '1h' });
const readProduct = () => fetch(`${BASE}/products/${1 + Math.floor(Math.random() * HOT_IDS)}`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The whole export, read by curl as fast as it can: in its own process, so that reading 120 MB
 * does not slow this process's event loop, which times the product reads.
 */
async function exportAll(from: string, to: string): Promise<{ bytes: number; encoding: string }> {
  const curl = spawn('curl', [
    '--silent',
    '--show-error',
    '--fail',
    '--output',
    '/dev/null',
    '--dump-header',
    '-',
    '--write-out',
    '%{size_download}\n',
    '--header',
    `authorization: Bearer ${token}`,
    '--header',
    `accept-encoding: ${ENCODING}`,
    `${BASE}/admin/orders/export?format=${FORMAT}&from=${from}&to=${to}`,
  ]);
  let output = '';
  curl.stdout.on('data', (chunk: Buffer) => (output += chunk));
  curl.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const [code] = (await once(curl, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`export failed: curl exited with ${code}`);
  return {
    bytes: Number(output.trim().split('\n').at(-1)),
    encoding: /^content-encoding:\s*(\S+)/im.exec(output)?.[1] ?? 'identity',
  };
}

/** The event loop's p99 and max delay since the last scrape (prom-client resets it on each collect). */
async function loopDelayMs(): Promise<{ p99: number; max: number }> {
  const samples = await scrape(BASE);
  return {
    p99: Math.round((samples.get('nodejs_eventloop_lag_p99_seconds') ?? 0) * 10_000) / 10,
    max: Math.round((samples.get('nodejs_eventloop_lag_max_seconds') ?? 0) * 10_000) / 10,
  };
}

/** One run on a fresh API process (`cwd`: another build's checkout): idle reads, then reads beside the export. */
async function measure(cwd?: string) {
  const api = await startApi(
    PORT,
    apiEnv(database, {
      CACHE_WARM_TOP_PRODUCTS: '0',
      DB_STATEMENT_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    }),
    cwd,
  );
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${api.pid}/status`, 'utf8'))![1]) / 1024;
  /** CPU seconds (user + system) of the API's main thread (its tid is its pid): the event loop's own work. */
  const mainThreadCpuS = () => {
    const fields = readFileSync(`/proc/${api.pid}/task/${api.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  try {
    // Warm-up: JIT, pools and the hot products' cache entries; a one-month export; then the reads
    // at their rate until the heap has grown to what they need (RSS rises ~40 MB over their first
    // ~15 s and is flat after: measured from 8 s, that rise counted as the export's).
    for (let id = 1; id <= HOT_IDS; id++) await (await readProduct()).arrayBuffer();
    await exportAll('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z');
    await openLoop(READ_RATE, SETTLE_S, readProduct);
    await loopDelayMs();
    const settled = rssMb();
    const idle = await openLoop(READ_RATE, IDLE_S, readProduct);
    const idleLoop = await loopDelayMs();
    const before = rssMb();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 100);
    const started = performance.now();
    const cpuBefore = mainThreadCpuS();
    let exporting = true;
    const exported = exportAll('2025-10-31T00:00:00Z', '2026-11-01T00:00:00Z').finally(() => (exporting = false));
    // Reads in 2 s slices for as long as the export streams (the slice that ends it counts too).
    const during = [];
    while (exporting) during.push(await openLoop(READ_RATE, 2, readProduct));
    const result = await exported;
    const seconds = (performance.now() - started) / 1000;
    const mainCpuS = Number((mainThreadCpuS() - cpuBefore).toFixed(1));
    clearInterval(sampler);
    const exportLoop = await loopDelayMs();
    const duringP99 = median(during.map((slice) => slice.p99));
    return {
      idleP99Ms: idle.p99,
      duringP99Ms: duringP99,
      duringWorstSliceP99Ms: Math.max(...during.map((slice) => slice.p99)),
      ratio: Math.round((duringP99 / idle.p99) * 100) / 100,
      readFailures: idle.failures + during.reduce((sum, slice) => sum + slice.failures, 0),
      loopDelayIdleMs: idleLoop,
      loopDelayExportMs: exportLoop,
      ...result,
      megabytes: Math.round(result.bytes / 1e6),
      seconds: Number(seconds.toFixed(1)),
      mainThreadCpuS: mainCpuS,
      rssBeforeMb: Math.round(before),
      rssGrowthMb: Math.round(peak - before),
      // The reads alone over the idle window: what RSS does without the export (should be ~0).
      rssIdleDriftMb: Math.round(before - settled),
    };
  } finally {
    await stopApi(api);
  }
}

type Run = Awaited<ReturnType<typeof measure>>;
const targets: { name: string; cwd?: string; runs: Run[] }[] = [
  ...(baseline ? [{ name: `baseline ${baseline.sha.slice(0, 7)}`, cwd: baseline.dir, runs: [] }] : []),
  { name: 'this build', runs: [] },
];
// Interleaved, so that a busy spell of the machine falls on both builds alike.
for (let run = 1; run <= RUNS; run++)
  for (const target of targets) {
    target.runs.push(await measure(target.cwd));
    console.log(target.name, run, target.runs.at(-1));
  }

const summaries = targets.map(({ name, runs }) => ({
  build: name,
  runs: runs.length,
  medians: {
    idleP99Ms: median(runs.map((run) => run.idleP99Ms)),
    duringP99Ms: median(runs.map((run) => run.duringP99Ms)),
    ratio: median(runs.map((run) => run.ratio)),
    loopDelayExportP99Ms: median(runs.map((run) => run.loopDelayExportMs.p99)),
    loopDelayExportMaxMs: median(runs.map((run) => run.loopDelayExportMs.max)),
    seconds: median(runs.map((run) => run.seconds)),
    mainThreadCpuS: median(runs.map((run) => run.mainThreadCpuS)),
    rssGrowthMb: median(runs.map((run) => run.rssGrowthMb)),
  },
  worstRssGrowthMb: Math.max(...runs.map((run) => run.rssGrowthMb)),
  allRuns: runs,
}));
const current = summaries.at(-1)!;
const met = current.medians.ratio <= 2 && current.worstRssGrowthMb <= RSS_GOAL_MB;
for (const { allRuns: _runs, ...summary } of summaries) console.log(summary);
console.log({ format: FORMAT, encoding: ENCODING, settings: extraEnv, goals: GOALS, met });
await writeFile(
  `bench/results/${new Date().toISOString().slice(0, 10)}-export-load.json`,
  JSON.stringify(
    { format: FORMAT, encoding: ENCODING, settings: extraEnv, goals: GOALS, met, builds: summaries },
    null,
    2,
  ),
);
if (!met) process.exitCode = 1;
