/**
 * An order list page (orders + items + product summaries) three ways, same run, same user:
 * - naive: one query per order for its items, one per item for its product (the N+1 shape);
 * - DataLoaders: orders, one batched items query, one cache MGET + one query for the products the
 *   cache lacks (cold: the product cache emptied before each page; warm: filled by earlier pages);
 * - one statement with LATERAL + json_agg (what GET /orders does, being fastest here).
 * Reports statements per page and latency (median of 30 pages per case and size).
 */
import { writeFile } from 'node:fs/promises';
import { CacheService } from '../src/cache/cache.service.js';
import { APP_NAME } from '../src/config/app-identity.js';
import { loadAppConfig } from '../src/config/load-app-config.js';
import { redisConnection } from '../src/config/redis-connection.js';
import { Db } from '../src/database/db.service.js';
import { RequestLoaders } from '../src/loaders/request-loaders.js';
import { orderPageSql, OrdersRepository } from '../src/orders/orders.repository.js';
import { PRODUCT_SUMMARIES_NAMESPACE, ProductsCache } from '../src/products/products.cache.js';
import { ProductsRepository } from '../src/products/products.repository.js';
import { UsersCache } from '../src/users/users.cache.js';
import { UsersRepository } from '../src/users/users.repository.js';
import type { OrderRow } from '../src/orders/order.dto.js';
import { Latencies } from './lib/latencies.js';
import { table } from './lib/measure.js';

const PAGES = Number(process.env.BENCH_PAGES ?? 30);
const config = loadAppConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test', LOG_LEVEL: 'error' });
const db = new Db({
  applicationName: APP_NAME,
  primaryUrl: config.DATABASE_URL,
  replicaUrls: config.DATABASE_REPLICA_URLS,
});
const cache = new CacheService({ redis: redisConnection(config, 'cache'), prefix: 'store-api:bench' });
await db.onModuleInit();
await cache.onModuleInit();
const [{ userId }] = await db.primary.$queryRaw<{ userId: number }[]>`
  SELECT user_id AS "userId" FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`;

async function naive(limit: number) {
  const orders = await db.reader().$queryRaw<OrderRow[]>(orderPageSql({ limit, userId }));
  return Promise.all(
    orders.map(async (order) => {
      const items = await db.reader().orderItem.findMany({ where: { orderId: order.id } });
      return {
        ...order,
        items: await Promise.all(
          items.map(async (item) => ({
            ...item,
            product: await db.reader().product.findFirst({
              where: { id: item.productId },
              select: { id: true, sku: true, name: true, priceCents: true, currency: true },
            }),
          })),
        ),
      };
    }),
  );
}

async function withLoaders(limit: number, cold = true) {
  if (cold) await cache.bumpNamespace(PRODUCT_SUMMARIES_NAMESPACE);
  const loaders = new RequestLoaders(
    new ProductsCache(cache, new ProductsRepository(db)),
    new UsersCache(cache, new UsersRepository(db)),
    new OrdersRepository(db),
  );
  const orders = await db.reader().$queryRaw<OrderRow[]>(orderPageSql({ limit, userId }));
  return Promise.all(
    orders.map(async (order) => {
      const items = await loaders.itemsByOrder.load(order.id);
      return {
        ...order,
        items: await Promise.all(
          items.map(async (item) => ({ ...item, product: await loaders.products.load(item.productId) })),
        ),
      };
    }),
  );
}

function lateral(limit: number) {
  return db.reader().$queryRaw`
    SELECT o.id, o.status::text, o.total_cents, o.created_at, items.list AS items
    FROM (SELECT * FROM orders WHERE user_id = ${userId} ORDER BY created_at DESC, id DESC LIMIT ${limit}) o
    CROSS JOIN LATERAL (
      SELECT json_agg(json_build_object('productId', oi.product_id, 'quantity', oi.quantity, 'unitPriceCents', oi.unit_price_cents,
             'product', json_build_object('id', p.id, 'sku', p.sku, 'name', p.name, 'priceCents', p.price_cents, 'currency', p.currency)) ORDER BY oi.id) AS list
      FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE oi.order_id = o.id
    ) items
    ORDER BY o.created_at DESC, o.id DESC`;
}

const statements = () => db.snapshot().queries.reduce((sum, row) => sum + row.count, 0);
const cases: [string, (limit: number) => Promise<unknown>][] = [
  ['naive loop', naive],
  ['DataLoaders, cold cache', (limit) => withLoaders(limit, true)],
  ['DataLoaders, warm cache', (limit) => withLoaders(limit, false)],
  ['one SQL, LATERAL + json_agg', lateral],
];
const rows: Record<string, string | number>[] = [];
for (const limit of [10, 50, 100]) {
  const baseline: number[] = [];
  for (const [name, run] of cases) {
    await run(limit); // warm-up
    const latencies = new Latencies();
    let used = 0;
    for (let page = 0; page < PAGES; page++) {
      const before = statements();
      const started = performance.now();
      await run(limit);
      latencies.record(performance.now() - started);
      used = statements() - before;
    }
    const p50 = latencies.at(50);
    if (name === 'naive loop') baseline.push(p50);
    rows.push({
      'page size': limit,
      case: name,
      'SQL per page': used,
      'p50 ms': p50.toFixed(1),
      'p95 ms': latencies.at(95).toFixed(1),
      'speed-up vs naive': (baseline[0] / p50).toFixed(1),
    });
  }
}
console.log(`\nOrder list pages, ${PAGES} pages per case (medians)\n`);
console.log(table(rows));
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-orders.json`;
await writeFile(file, JSON.stringify({ pages: PAGES, rows }, null, 2));
console.log(`written to ${file}`);
cache.onApplicationShutdown();
await db.onApplicationShutdown();
