/**
 * Baseline (d): plain Fastify + `pg`, no framework, cache or ORM on the request path — the floor an
 * uncached request of this API is held to. It runs the API's own SQL (the statement text is taken
 * once at start from the API's builders, so it cannot drift) as named prepared statements, reads
 * round-robin over the same replicas with the API's pool sizes, verifies the same HS256 tokens
 * (node:crypto), and answers with the same JSON (the API's DTO mappers). Routes:
 * - GET /products/:id — product detail (category, rating, 5 latest reviews);
 * - GET /products?limit= — list page 1 (newest first) with its next cursor;
 * - GET /orders?limit= — the bearer's orders with items and product summaries;
 * - POST /checkout — deferred checkout in one statement (./fastify-pg-checkout.ts).
 * Run as its own process:
 *   PORT=… DATABASE_URL=… DATABASE_REPLICA_URLS=… JWT_SECRET=… node --import tsx bench/peers/fastify-pg.ts
 * (DB_POOL_MAX and DB_REPLICA_POOL_MAX as the API reads them; 5 each by default, as in the API).
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';
import { createdAtIdCursorOf, encodeCursor } from '../../src/common/pagination/keyset-cursor.js';
import { toOrderFields } from '../../src/orders/order.dto.js';
import type { OrderWithItemsRow } from '../../src/orders/orders.repository.js';
import { orderPageWithItemsSql } from '../../src/orders/orders.repository.js';
import {
  toProductDetailDto,
  toProductDto,
  type ProductDetailRow,
  type ProductRow,
} from '../../src/products/product.dto.js';
import { productDetailsSql, productListSql } from '../../src/products/products.repository.js';
import { verifyAccessToken } from '../lib/jwt.js';
import { checkout } from './fastify-pg-checkout.js';

const env = process.env;
const pool = (url: string, max: number, readOnly: boolean) => {
  const created = new pg.Pool({
    connectionString: url,
    max,
    min: 1,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 2_000,
    statement_timeout: 5_000,
    options: readOnly ? '-c default_transaction_read_only=on' : undefined,
  });
  created.on('error', () => undefined); // an idle connection lost must not end the process
  return created;
};
const primary = pool(env.DATABASE_URL!, Number(env.DB_POOL_MAX ?? 5), false);
const replicas = (env.DATABASE_REPLICA_URLS ?? '')
  .split(',')
  .filter(Boolean)
  .map((url) => pool(url, Number(env.DB_REPLICA_POOL_MAX ?? 5), true));
let next = 0;
const reader = () => (replicas.length ? replicas[next++ % replicas.length] : primary);

// The API's statements, built once; only their parameters change per request.
const statements = {
  detail: productDetailsSql([0]).text,
  list: productListSql({ sort: 'newest', limit: 0 }).text,
  orders: orderPageWithItemsSql({ limit: 0, userId: 0 }).text,
};

const MAX_ID = 2_147_483_647;
function limitOf(query: unknown): number | undefined {
  const raw = (query as { limit?: string }).limit;
  if (raw === undefined) return 20;
  const limit = Number(raw);
  return Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : undefined;
}
const problem = (reply: FastifyReply, status: number, detail: string) =>
  reply.code(status).type('application/problem+json').send({ status, detail });
/** The caller's user id, from `Authorization: Bearer <HS256 token>`. */
function userOf(request: FastifyRequest): number | undefined {
  const [scheme, token] = request.headers.authorization?.split(' ') ?? [];
  const claims = scheme?.toLowerCase() === 'bearer' && token ? verifyAccessToken(env.JWT_SECRET!, token) : undefined;
  return claims && Number(claims.sub);
}

const app = Fastify();
app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
  const id = Number(request.params.id);
  if (!/^\d+$/.test(request.params.id) || id < 1 || id > MAX_ID) return problem(reply, 400, 'id: not an id');
  const { rows } = await reader().query<ProductDetailRow>({ name: 'detail', text: statements.detail, values: [[id]] });
  if (!rows[0]) return problem(reply, 404, `Product ${id} does not exist.`);
  return toProductDetailDto(rows[0]);
});

app.get('/products', async (request, reply) => {
  const limit = limitOf(request.query);
  if (limit === undefined) return problem(reply, 400, 'limit: 1–100');
  // One extra row tells whether another page exists, as the API asks.
  const { rows } = await reader().query<ProductRow>({ name: 'list', text: statements.list, values: [limit + 1] });
  const page = rows.slice(0, limit).map(toProductDto);
  const last = page.at(-1);
  return {
    data: page,
    nextCursor: rows.length > limit && last ? encodeCursor(['newest', last.createdAt, last.id]) : null,
  };
});

app.get('/orders', async (request, reply) => {
  const userId = userOf(request);
  if (!userId) return problem(reply, 401, 'The access token is invalid or expired.');
  const limit = limitOf(request.query);
  if (limit === undefined) return problem(reply, 400, 'limit: 1–100');
  const { rows } = await reader().query<OrderWithItemsRow>({
    name: 'orders',
    text: statements.orders,
    values: [userId, limit + 1],
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  reply.header('cache-control', 'private, no-store');
  return {
    data: page.map((order) => ({ ...toOrderFields(order), items: order.items })),
    nextCursor: rows.length > limit && last ? createdAtIdCursorOf(last) : null,
  };
});

app.post('/checkout', async (request, reply) => {
  const userId = userOf(request);
  if (!userId) return problem(reply, 401, 'The access token is invalid or expired.');
  const { status, body, replayed } = await checkout(primary, userId, request.headers['idempotency-key'], request.body);
  if (replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(status).send(body);
});

await app.listen({ port: Number(env.PORT), host: '127.0.0.1' });
console.log('ready');
