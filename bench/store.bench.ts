/**
 * `npm run bench` — the store API beside its peers, in one run on this machine.
 *
 * Baselines measured in the same run: (a) bare Fastify answering from a Map, (b) this API with
 * caching off, (c) the stack the NestJS docs lead to (Express + @nestjs/cache-manager + Keyv
 * Redis), (d) plain Fastify + pg running the API's SQL (bench/peers), and this API's mixed workload
 * on an older commit's build (BENCH_BASELINE_COMMIT, default the commit before issue 14).
 * Scenarios: product by id (Zipf 1.0 over every active product), pure cache hits, list page 1 vs a
 * keyset page vs an offset page 10,000 rows deep, order lists of 10/50/100, search, GET /me (an
 * authenticated read: the token-version check's cost), checkout with
 * the provider at 300 ms, a checkout ramp to saturation (this API vs Fastify + pg), and a mixed
 * workload (80 % reads, 15 % search, 5 % checkout). Every server runs in its own process, started
 * fresh per case; each case runs twice (medians). Results: bench/results/<date>.{json,md,svg}.
 * `--quick` (CI): the small test data set, one short round, a short ramp, and a non-zero exit if
 * any scenario saw an error or a non-2xx answer. Knobs for short targeted runs: BENCH_ONLY,
 * BENCH_ROUNDS, BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_CACHE_WARMUP_S, BENCH_RAMP_STEP_S,
 * BENCH_RAMP_P99_MS (see store/settings.ts); a run of some cases prints its report, writes none.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CacheService } from '../src/cache/cache.service.js';
import { loadAppConfig } from '../src/config/load-app-config.js';
import { redisConnection } from '../src/config/redis-connection.js';
import { PRODUCTS_NAMESPACE } from '../src/products/products.cache.js';
import { apiEnv } from './lib/api-env.js';
import { buildBaseline } from './lib/baseline-build.js';
import { ensureBenchDatabase } from './lib/bench-db.js';
import { BenchQueues, BenchWorker, stockUp } from './lib/checkout-fixtures.js';
import { loadMix, openLoop } from './lib/load.js';
import { measure } from './lib/measure.js';
import { delta, scrape } from './lib/scrape.js';
import { ensureBuilt, startApi, startProcess, stopApi } from './lib/server.js';
import { checkoutRamp } from './store/checkout-ramp.js';
import * as bench from './store/context.js';
import { mixedCases } from './store/mixed.js';
import { report } from './store/report.js';
import * as settings from './store/settings.js';
import { checkSameAnswers, uncachedCases } from './store/uncached.js';

const { BASE, CASE, PORT, QUICK, ROUNDS, enabled } = settings;
const partial = Boolean(process.env.BENCH_ONLY);

ensureBuilt();
const baseline =
  settings.BASELINE_COMMIT !== 'none' && enabled('baseline') ? buildBaseline(settings.BASELINE_COMMIT) : undefined;
const database = QUICK ? undefined : await ensureBenchDatabase();
const env = apiEnv(database, {
  QUEUE_PREFIX: '{store-api-bench}',
  PAYMENT_GATEWAY_URL: `http://127.0.0.1:${PORT.gateway}`,
  PAYMENT_TIMEOUT_MS: '2000',
  SMTP_URL: `smtp://127.0.0.1:${PORT.smtp}`,
  WORKER_METRICS_PORT: '0',
});
// The NestJS-docs stack's cache: its own database on the cache Redis.
const docsRedisUrl = `${env.REDIS_CACHE_URL.replace(/\/\d*$/, '')}/5`;
// A pool, not a client: a connection the server ends (a restart of the primary) is replaced.
const sql = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
sql.on('error', () => undefined);
const data = await bench.loadStoreData(sql);
const checkoutProducts = await stockUp(sql, 500);
const queues = await BenchQueues.emptied(sql, env);

const sink = await startProcess(['--import', 'tsx', 'dev/smtp-sink.ts'], {
  SMTP_SINK_PORT: String(PORT.smtp),
  SMTP_SINK_HTTP_PORT: String(PORT.smtpHttp),
});
const gateway = await startProcess(['--import', 'tsx', 'dev/fake-payment-gateway.ts'], {
  FAKE_GATEWAY_PORT: String(PORT.gateway),
  FAKE_GATEWAY_LATENCY_MS: '300',
});
const worker = await BenchWorker.start(env, queues);
const docsRedis = new Redis(docsRedisUrl);
// The API's product cache, as the API names it (to start a case from an empty one).
const apiCache = new CacheService({
  redis: redisConnection(loadAppConfig(env), 'cache'),
  prefix: 'store-api:production',
});
await apiCache.onModuleInit(); // connected: a bump must reach Redis

try {
  if (enabled('peer')) await checkSameAnswers(env, data);
  // The bare server serves a sample of the API's own product JSON (see bench/peers/bare-fastify.ts).
  const sampleFile = join(await mkdtemp(join(tmpdir(), 'store-bench-')), 'products.json');
  if (enabled('product') || enabled('hot'))
    await bench.withServer(
      () => startApi(PORT.api, env),
      async () => {
        const sample = await Promise.all(
          data.productIds.slice(0, 1_000).map(async (id) => (await fetch(`${BASE.api}/products/${id}`)).json()),
        );
        await writeFile(sampleFile, JSON.stringify(sample));
      },
    );
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`\n--- round ${round}/${ROUNDS}`);
    if (enabled('product') || enabled('hot'))
      await bench.withServer(
        () =>
          startProcess(['--import', 'tsx', 'bench/peers/bare-fastify.ts'], {
            PORT: String(PORT.bare),
            PRODUCTS_FILE: sampleFile,
            MAX_ID: String(data.productIds.at(-1)),
          }),
        async () => {
          await bench.run(CASE.bare, BASE.bare, () => bench.get(data.productPath()));
          await bench.runHot(CASE.hot.bare, BASE.bare, data.hotIds);
        },
      );
    await docsRedis.flushdb();
    if (enabled('product') || enabled('hot'))
      await bench.withServer(
        () =>
          startProcess(['--import', 'tsx', 'bench/peers/nest-docs-stack.ts'], {
            PORT: String(PORT.docs),
            DATABASE_URL: env.DATABASE_URL,
            REDIS_URL: docsRedisUrl,
          }),
        async () => {
          await bench.run(CASE.docs, BASE.docs, () => bench.get(data.productPath()), settings.CACHE_WARMUP_S);
          await bench.runHot(CASE.hot.docs, BASE.docs, data.hotIds);
        },
      );
    await uncachedCases(env, data);
    // The traffic-only case starts from an empty product cache: the namespace moves to a new version.
    await apiCache.bumpNamespace(PRODUCTS_NAMESPACE);
    if (enabled('product'))
      await bench.withServer(
        () => startApi(PORT.api, env),
        async () => {
          const warmupS = settings.CACHE_WARMUP_S - settings.WARMUP_S;
          await loadMix(BASE.api, () => bench.get(data.productPath()), { durationS: warmupS });
          await bench.measureHitRate(CASE.trafficOnly, () =>
            bench.run(CASE.trafficOnly, BASE.api, () => bench.get(data.productPath())),
          );
        },
      );
    if (enabled('product') || enabled('hot') || enabled('orders') || enabled('search') || enabled('me'))
      await bench.withServer(
        () => bench.startWarmedApi(env, data),
        () => warmedCases(),
      );
    if (enabled('checkout')) await fixedRateCheckouts();
    if (enabled('mixed') || enabled('baseline'))
      await mixedCases(
        env,
        data,
        checkoutProducts,
        worker,
        baseline && { dir: baseline.dir, label: baseline.sha.slice(0, 7) },
        round,
      );
    if (enabled('ramp')) await checkoutRamp(env, data, checkoutProducts, worker);
    if (enabled('pagination')) await measurePaginationSql();
  }
} finally {
  await Promise.all([worker.stop(), stopApi(gateway), stopApi(sink)]);
  await queues.close();
  docsRedis.disconnect();
  apiCache.onApplicationShutdown();
}

/** On the API with the catalog warmed: cached products, pure hits, order pages, search. */
async function warmedCases(): Promise<void> {
  if (enabled('product'))
    await bench.measureHitRate(CASE.ours, () => bench.run(CASE.ours, BASE.api, () => bench.get(data.productPath())));
  if (enabled('hot')) {
    // One load generator, one client: how often its rate-limit decisions went to Redis.
    const before = await scrape(BASE.api);
    await bench.runHot(CASE.hot.ours, BASE.api, data.hotIds);
    const after = await scrape(BASE.api);
    const calls = delta(before, after, /^rate_limit_redis_calls_total/);
    const requests = delta(before, after, /^http_requests_total\{.*route="\/products\/:id"/);
    bench.note('hot client: rate-limit Redis calls per request', calls / Math.max(1, requests));
  }
  const buyer = await bench.login(data.buyer.email);
  for (const limit of enabled('orders') ? [10, 50, 100] : []) {
    const start = await scrape(BASE.api);
    const result = await bench.run(CASE.orders(limit), BASE.api, () =>
      bench.get(`/orders?limit=${limit}`, 'orders', { authorization: buyer }),
    );
    const end = await scrape(BASE.api);
    const statements = delta(start, end, /^db_query_duration_seconds_count\{/);
    // Warm-up and measured window both ran statements; divide by both windows' requests.
    const windows = 1 + settings.WARMUP_S / settings.DURATION_S;
    bench.note(`orders ${limit}: SQL per request`, statements / (result.requests * windows));
  }
  if (enabled('search'))
    await bench.run(CASE.search, BASE.api, () => bench.get(`/products/search?q=${data.pickFrom(data.searchTerms)}`));
  // The cost of revocation: every authenticated request checks the token version (from memory
  // after a user's first request in USER_ACCESS_TTL_MS); compare with an older build's `me`.
  if (enabled('me')) await bench.run(CASE.me, BASE.api, () => bench.get('/me', 'me', { authorization: buyer }));
}

/** POST /checkout at a fixed open-loop rate, the charge inline vs deferred (the provider at 300 ms). */
async function fixedRateCheckouts(): Promise<void> {
  for (const mode of ['inline', 'deferred'] as const) {
    await queues.workerIdle(180_000); // earlier checkouts' work must not share the CPU
    await bench.withServer(
      () => startApi(PORT.api, { ...env, CHECKOUT_CHARGE_MODE: mode }),
      async () => {
        const buyer = await bench.login('user2@example.com');
        const send = () => bench.send(BASE.api, bench.checkoutRequest(buyer, data.pickFrom(checkoutProducts)));
        await openLoop(settings.CHECKOUT_RATE, settings.WARMUP_S, send);
        const result = await openLoop(settings.CHECKOUT_RATE, settings.DURATION_S, send);
        bench.record(CASE.checkout(mode), {
          requests: result.sent,
          rps: result.sent / settings.DURATION_S,
          p50: result.p50,
          p95: result.p95,
          p99: result.p99,
          errors: 0,
          non2xx: result.failures,
          byKind: {},
        });
      },
    );
  }
}

/** Page 1 vs keyset vs OFFSET at the SQL level on a replica (the API has no offset pages, by design). */
async function measurePaginationSql(): Promise<void> {
  const replica = new pg.Pool({
    connectionString: env.DATABASE_REPLICA_URLS.split(',')[0] || env.DATABASE_URL,
    max: 4,
  });
  const select = `SELECT id, sku, name, price_cents, created_at FROM products WHERE status = 'active'`;
  const order = 'ORDER BY created_at DESC, id DESC LIMIT 20';
  const statements: [string, string, unknown[]][] = [
    ['SQL: page 1', `${select} ${order}`, []],
    [
      `SQL: keyset ${settings.DEEP_ROWS} rows deep`,
      `${select} AND (created_at, id) < ($1, $2) ${order}`,
      [data.deep.created_at, data.deep.id],
    ],
    [`SQL: OFFSET ${settings.DEEP_ROWS}`, `${select} ${order} OFFSET ${settings.DEEP_ROWS}`, []],
  ];
  for (const [name, text, values] of statements) {
    const result = await measure(name, () => replica.query(text, values), {
      operations: QUICK ? 50 : 1_000,
      concurrency: 4,
    });
    bench.note(`${name} p50 ms`, Math.round(result.p50Ms * 100) / 100);
    bench.note(`${name} ops/s`, Math.round(result.opsPerSecond));
  }
  await replica.end();
}

const failures = await report({
  products: data.productIds.length,
  baseline: baseline?.sha.slice(0, 7),
  partial,
});
await sql.end();
if (QUICK) {
  if (failures.length) {
    console.error(`errors in: ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log('quick bench: every scenario ran without errors');
  process.exit(0);
}
