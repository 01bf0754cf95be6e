/**
 * Bytes per response (docs/payloads.md): a product detail, a list page (default size, 20) and an
 * orders page of 50, each as sent (raw) and compressed the way the edge compresses (gzip at zlib's
 * default level, brotli at quality 4). Runs this checkout's build and a baseline commit's
 * (`PAYLOADS_BASELINE`, default the commit before lean payloads; `none` to skip) side by side on
 * the test database (`NODE_ENV=test`), caching off (sizes only); each figure is the median over the
 * sampled items.
 */
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { APP_NAME } from '../src/config/app-identity.js';
import { loadAppConfig } from '../src/config/load-app-config.js';
import { Db } from '../src/database/db.service.js';
import { BENCH_JWT_SECRET, apiEnv } from './lib/api-env.js';
import { signAccessToken } from './lib/jwt.js';
import { table } from './lib/measure.js';
import { buildBaseline } from './lib/baseline-build.js';
import { ensureBuilt, startApi, stopApi } from './lib/server.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 25);
const PORT = Number(process.env.BENCH_PORT ?? 4710);
/** The last commit of main before lean payloads (issue 16, part 5). */
const BASELINE = process.env.PAYLOADS_BASELINE ?? '11ec1bc';
const config = loadAppConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test', LOG_LEVEL: 'error' });
const db = new Db({ applicationName: APP_NAME, primaryUrl: config.DATABASE_URL, replicaUrls: [] });
await db.onModuleInit();
// The first active products and the busiest customers (their pages of 50 are full).
const products = await db.primary.$queryRaw<{ id: number }[]>`
  SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT ${SAMPLES}`;
const customers = await db.primary.$queryRaw<{ id: number }[]>`
  SELECT user_id AS id FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT ${SAMPLES}`;
await db.onApplicationShutdown();

ensureBuilt();
const baseline = BASELINE === 'none' ? undefined : buildBaseline(BASELINE);
const env = apiEnv(undefined, { LOG_LEVEL: 'warn', CACHE_WARM_TOP_PRODUCTS: '0', CACHE_ENABLED: 'false' });

/** The body as sent without compression, and what gzip (zlib default level) and brotli q4 make of it. */
async function sizes(port: number, url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${url}`, {
    headers: { 'accept-encoding': 'identity', ...headers },
  });
  const raw = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${raw.toString()}`);
  return {
    raw: raw.length,
    gzip: gzipSync(raw).length,
    br: brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } }).length,
  };
}

const asCustomer = (id: number) => ({ authorization: `Bearer ${signAccessToken(BENCH_JWT_SECRET, id)}` });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(name: string, requests: (() => Promise<{ raw: number; gzip: number; br: number }>)[]) {
  const results = [];
  for (const request of requests) results.push(await request());
  return {
    'response (median bytes)': name,
    raw: median(results.map((r) => r.raw)),
    gzip: median(results.map((r) => r.gzip)),
    'br q4': median(results.map((r) => r.br)),
  };
}

const rowsOf = async (port: number) => [
  await measure(
    'GET /products/:id',
    products.map(
      ({ id }) =>
        () =>
          sizes(port, `/products/${id}`),
    ),
  ),
  await measure('GET /products (20)', [
    () => sizes(port, '/products'),
    () => sizes(port, '/products?sort=price_asc'),
    () => sizes(port, '/products?sort=price_desc'),
  ]),
  await measure('GET /products?fields=id,name,priceCents', [
    () => sizes(port, '/products?fields=id,name,priceCents'),
    () => sizes(port, '/products?sort=price_asc&fields=id,name,priceCents'),
    () => sizes(port, '/products?sort=price_desc&fields=id,name,priceCents'),
  ]),
  await measure(
    'GET /orders?limit=50',
    customers.map(
      ({ id }) =>
        () =>
          sizes(port, '/orders?limit=50', asCustomer(id)),
    ),
  ),
  await measure(
    'GET /orders?limit=50&fields=id,status,totalCents,createdAt',
    customers.map(
      ({ id }) =>
        () =>
          sizes(port, '/orders?limit=50&fields=id,status,totalCents,createdAt', asCustomer(id)).catch(() => ({
            raw: NaN,
            gzip: NaN,
            br: NaN,
          })),
    ),
  ),
];

const results: { label: string; rows: Awaited<ReturnType<typeof rowsOf>> }[] = [];
for (const [label, cwd, port] of [
  ...(baseline ? [[`before (${baseline.sha.slice(0, 7)})`, baseline.dir, PORT + 1] as const] : []),
  ['after (this checkout)', undefined, PORT] as const,
]) {
  const api = await startApi(port, env, cwd);
  try {
    results.push({ label, rows: await rowsOf(port) });
  } finally {
    await stopApi(api);
  }
}
for (const { label, rows } of results) console.log(`\n${label}\n${table(rows)}`);
