/**
 * `npm run bench -- edge` — the HTTP edge on pure cache hits: GET /products/:id over 1,000 hot ids
 * (uniform), every server warmed on the same set, each case its own process, medians of rounds.
 * Beside bare Fastify answering the same JSON from a Map and the NestJS-docs stack; this API with
 * production defaults (limits and access log on), then with each of those off, to price them.
 * `--quick`: one short round on the test data.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { apiEnv } from './lib/api-env.js';
import { loadMix, type MixResult } from './lib/load.js';
import { median, table } from './lib/measure.js';
import { ensureBuilt, startApi, startProcess, stopApi } from './lib/server.js';
import { firstActiveProductIds, hotProducts, warmHotSet } from './lib/hot-set.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION_S = QUICK ? 1 : Number(process.env.BENCH_DURATION_S ?? 8);
const WARMUP_S = QUICK ? 1 : 3;
const PORT = { api: 3510, bare: 3512, docs: 3513 };
const base = (port: number) => `http://127.0.0.1:${port}`;

ensureBuilt();
const env = apiEnv(undefined, { WORKER_METRICS_PORT: '0', CACHE_WARM_TOP_PRODUCTS: '0' });
const hot = await firstActiveProductIds(env.DATABASE_URL);
const path = hotProducts(hot);
const docsRedisUrl = `${env.REDIS_CACHE_URL.replace(/\/\d*$/, '')}/5`;

const runs = new Map<string, MixResult[]>();
async function measureCase(name: string, url: string): Promise<void> {
  // Every hot id once, then traffic: each stack answers the measured window from its cache.
  await warmHotSet(url, hot);
  await loadMix(url, path, { durationS: WARMUP_S });
  const result = await loadMix(url, path, { durationS: DURATION_S });
  runs.set(name, [...(runs.get(name) ?? []), result]);
  console.log(`${name}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms, non-2xx ${result.non2xx}`);
}

const sampleFile = join(await mkdtemp(join(tmpdir(), 'edge-bench-')), 'products.json');
{
  const api = await startApi(PORT.api, env);
  const sample = await Promise.all(hot.map(async (id) => (await fetch(`${base(PORT.api)}/products/${id}`)).json()));
  await writeFile(sampleFile, JSON.stringify(sample));
  await stopApi(api);
}

const cases: [string, () => ReturnType<typeof startApi>, number][] = [
  [
    'bare Fastify (Map)',
    () =>
      startProcess(['--import', 'tsx', 'bench/peers/bare-fastify.ts'], {
        PORT: String(PORT.bare),
        PRODUCTS_FILE: sampleFile,
        MAX_ID: String(hot.at(-1)),
      }),
    PORT.bare,
  ],
  [
    'NestJS-docs stack',
    async () => {
      const redis = new Redis(docsRedisUrl);
      await redis.flushdb();
      redis.disconnect();
      return startProcess(['--import', 'tsx', 'bench/peers/nest-docs-stack.ts'], {
        PORT: String(PORT.docs),
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: docsRedisUrl,
      });
    },
    PORT.docs,
  ],
  ['this API, defaults', () => startApi(PORT.api, env), PORT.api],
  ['this API, LOG_REQUESTS=false', () => startApi(PORT.api, { ...env, LOG_REQUESTS: 'false' }), PORT.api],
  [
    'this API, logs and limits off',
    () => startApi(PORT.api, { ...env, LOG_REQUESTS: 'false', RATE_LIMIT_ENABLED: 'false' }),
    PORT.api,
  ],
];
const only = process.env.EDGE_CASES?.split(',');
for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, start, port] of cases) {
    if (only && !only.some((part) => name.includes(part))) continue;
    const server = await start();
    try {
      await measureCase(name, base(port));
    } finally {
      await stopApi(server);
    }
  }
}

const rps = (name: string) => median(runs.get(name)?.map((result) => result.rps) ?? [0]);
const bare = rps('bare Fastify (Map)');
console.log(
  `\n${table(
    [...runs.keys()].map((name) => ({
      case: name,
      'req/s': Math.round(rps(name)),
      '× bare': Number((rps(name) / bare).toFixed(2)),
      'p50 ms': median(runs.get(name)!.map((result) => result.p50)),
      'p99 ms': median(runs.get(name)!.map((result) => result.p99)),
      'non-2xx': runs.get(name)!.reduce((sum, result) => sum + result.errors + result.non2xx, 0),
    })),
  )}`,
);
