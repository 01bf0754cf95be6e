import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { encodeCursor } from '../../src/common/pagination/keyset-cursor.js';
import { mulberry32 } from '../../scripts/db/seed-data.js';
import { BENCH_JWT_SECRET } from '../lib/api-env.js';
import { HOT_IDS, hotProducts, warmHotSet } from '../lib/hot-set.js';
import { signAccessToken } from '../lib/jwt.js';
import { loadMix, type MixRequest, type MixResult } from '../lib/load.js';
import type { RampStep } from '../lib/ramp.js';
import { delta, scrape } from '../lib/scrape.js';
import { startApi, stopApi } from '../lib/server.js';
import { zipfSampler } from '../lib/zipf.js';
import { BASE, DEEP_ROWS, DURATION_S, PORT, WARMUP_S } from './settings.js';

/** What the cases measured: one result per round by case name, notes, and the last ramp of each side. */
export const recorded = {
  runs: new Map<string, MixResult[]>(),
  extras: new Map<string, number[]>(),
  ramps: new Map<string, RampStep[]>(),
};
export const record = (name: string, result: MixResult) =>
  recorded.runs.set(name, [...(recorded.runs.get(name) ?? []), result]);
export const note = (name: string, value: number) =>
  recorded.extras.set(name, [...(recorded.extras.get(name) ?? []), value]);
export const get = (path: string, kind?: string, headers?: Record<string, string>): MixRequest => ({
  path,
  kind,
  headers,
});

/** Runs `body` with a server process started for it alone, stopped after. */
export async function withServer<T>(start: () => Promise<ChildProcess>, body: () => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await body();
  } finally {
    await stopApi(server);
  }
}

/** A warm-up, then the measured window (closed loop, 50 connections), recorded under `name`. */
export async function run(name: string, base: string, next: () => MixRequest, warmupS = WARMUP_S): Promise<MixResult> {
  await loadMix(base, next, { durationS: warmupS });
  const result = await loadMix(base, next, { durationS: DURATION_S });
  record(name, result);
  return result;
}

/** Pure cache hits: every hot id asked once, then the usual warm-up and measured window over them. */
export async function runHot(name: string, base: string, hotIds: readonly number[]): Promise<MixResult> {
  await warmHotSet(base, hotIds);
  return run(name, base, hotProducts(hotIds));
}

/** Runs `measured`, and notes the share of product lookups the cache answered meanwhile. */
export async function measureHitRate(name: string, measured: () => Promise<unknown>): Promise<void> {
  const before = await scrape(BASE.api);
  await measured();
  const after = await scrape(BASE.api);
  const hits = delta(before, after, /^cache_requests_total\{.*namespace="products",result="hit"/);
  const l1Lookups = delta(before, after, /^cache_requests_total\{layer="l1",namespace="products"/);
  note(`${name}: hit rate %`, l1Lookups ? (100 * hits) / l1Lookups : 0);
}

/**
 * The API with the whole catalog warmed into Redis at start (CACHE_WARM_TOP_PRODUCTS), once that is
 * done (every product active now: on a database other clients write to, a product may have been
 * archived since the bench read the catalog); `cwd`: another commit's build (the baseline).
 */
export async function startWarmedApi(
  env: Record<string, string>,
  data: StoreData,
  { cwd, label = 'catalog warm-up s' }: { cwd?: string; label?: string } = {},
): Promise<ChildProcess> {
  const api = await startApi(PORT.api, { ...env, CACHE_WARM_TOP_PRODUCTS: String(data.productIds.length) }, cwd);
  const started = Date.now();
  const warmed = async () => (await scrape(BASE.api)).get('cache_warmed_entries_total{namespace="products"}') ?? 0;
  while ((await warmed()) < Math.min(data.productIds.length, await data.activeProducts())) {
    if (Date.now() - started > 300_000) {
      await stopApi(api);
      throw new Error('the catalog warm-up did not finish in 5 min');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  note(label, (Date.now() - started) / 1000);
  return api;
}

export async function login(email: string): Promise<string> {
  const response = await fetch(`${BASE.api}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'password' }),
  });
  if (!response.ok) throw new Error(`login of ${email}: ${response.status}`);
  return `Bearer ${((await response.json()) as { accessToken: string }).accessToken}`;
}

/** A bearer token for `userId` as /auth/login would sign it (for servers without a login route). */
export const bearerFor = (userId: number) => `Bearer ${signAccessToken(BENCH_JWT_SECRET, userId)}`;

/** The data every case draws from, read once from the database under test. */
export async function loadStoreData(sql: pg.ClientBase | pg.Pool) {
  const { rows: active } = await sql.query<{ id: number }>(
    `SELECT id FROM products WHERE status = 'active' ORDER BY id`,
  );
  const productIds = active.map((row) => row.id);
  const zipf = zipfSampler(productIds, { s: 1, seed: 7 });
  const random = mulberry32(11);
  const pickFrom = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)];
  const { rows: deep } = await sql.query<{ id: number; created_at: Date }>(
    `SELECT id, created_at FROM products WHERE status = 'active' ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
    [DEEP_ROWS - 1],
  );
  const { rows: names } = await sql.query<{ name: string }>(`SELECT name FROM products ORDER BY id LIMIT 300`);
  const { rows: buyers } = await sql.query<{ id: number; email: string }>(
    `SELECT u.id, u.email FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY count(*) DESC LIMIT 1`,
  );
  return {
    productIds,
    /** How many products are active now. */
    activeProducts: async () =>
      (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM products WHERE status = 'active'`)).rows[0].n,
    /** Zipf 1.0 over every active product. */
    productPath: () => `/products/${zipf()}`,
    /** The pure-cache-hit cases' ids: the ones the bare server holds (its sample), the same for every stack. */
    hotIds: productIds.slice(0, HOT_IDS),
    deep: deep[0],
    deepCursor: encodeCursor(['newest', deep[0].created_at.toISOString(), deep[0].id]),
    searchTerms: [
      ...new Set(names.flatMap((row) => row.name.toLowerCase().split(/\W+/)).filter((word) => word.length > 3)),
    ],
    /** The user with the most orders. */
    buyer: buyers[0],
    random,
    pickFrom,
  };
}
export type StoreData = Awaited<ReturnType<typeof loadStoreData>>;

/** POST /checkout of one unit of one of `products`, under a fresh idempotency key. */
export function checkoutRequest(authorization: string, productId: number): MixRequest {
  return {
    kind: 'checkout',
    method: 'POST',
    path: '/checkout',
    headers: { authorization, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' }),
  };
}

/** Sends a MixRequest with fetch (the open-loop cases). */
export const send = (base: string, request: MixRequest) =>
  fetch(`${base}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
