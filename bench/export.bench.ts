/**
 * Export memory: streams every order of the bench-scale database (1M) through
 * GET /admin/orders/export and samples the API process's RSS. Goal: growth < 100 MB.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { JwtService } from '@nestjs/jwt';
import { BENCH_JWT_SECRET, apiEnv } from './lib/api-env.js';
import { ensureBenchDatabase } from './lib/bench-db.js';
import { ensureBuilt, startApi, stopApi } from './lib/server.js';

const PORT = 3310;

const database = await ensureBenchDatabase();
ensureBuilt();
const api = await startApi(PORT, apiEnv(database, { CACHE_WARM_TOP_PRODUCTS: '0', DB_STATEMENT_TIMEOUT_MS: '60000' }));
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${api.pid}/status`, 'utf8'))![1]) / 1024;
try {
  const token = new JwtService({ secret: BENCH_JWT_SECRET }).sign({ sub: '1', role: 'admin' }, { expiresIn: '1h' });
  // A warm-up export of one month: the first run pays for JIT and pool growth, not the stream.
  const warm = await fetch(
    `http://127.0.0.1:${PORT}/admin/orders/export?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  await warm.arrayBuffer();
  const before = rssMb();
  let peak = before;
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const rss = rssMb();
    peak = Math.max(peak, rss);
    samples.push(Math.round(rss));
  }, 500);
  const started = performance.now();
  const response = await fetch(
    `http://127.0.0.1:${PORT}/admin/orders/export?format=ndjson&from=2025-10-31T00:00:00Z&to=2026-11-01T00:00:00Z`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  if (!response.ok || !response.body) throw new Error(`export failed: ${response.status}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 10) lines++;
  }
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const result = {
    rows: lines,
    megabytes: Math.round(bytes / 1e6),
    seconds: Number(seconds.toFixed(1)),
    rowsPerSecond: Math.round(lines / seconds),
    rssBeforeMb: Math.round(before),
    rssPeakMb: Math.round(peak),
    rssGrowthMb: Math.round(peak - before),
    goal: 'growth < 100 MB',
    met: peak - before < 100,
  };
  console.log(result);
  console.log(`RSS every 0.5 s (MB): ${samples.join(' ')}`);
  await writeFile(
    `bench/results/${new Date().toISOString().slice(0, 10)}-export.json`,
    JSON.stringify(result, null, 2),
  );
  if (!result.met) process.exitCode = 1;
} finally {
  await stopApi(api);
}
