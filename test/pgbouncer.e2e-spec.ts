import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { parseLsn } from '../src/common/lsn.js';
import { Db } from '../src/database/index.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp, login, testConfig } from './support/test-app.js';

/** The PgBouncer `scripts/services.sh up` runs: transaction pooling in front of the primary. */
const PGBOUNCER = 'postgresql://postgres@127.0.0.1:6432';
const DATABASE = 'store_test';
const BUYER = 'user613@example.com';

type Row = Record<string, string>;

describe('through PgBouncer in transaction mode (e2e: the local one from services.sh, on :6432)', () => {
  let bouncer: pg.Client;
  let sql: pg.Client;
  let provider: FastifyInstance;
  let providerUrl: string;
  /** PgBouncer's server connections per (database, user): what the checkouts must share. */
  let serverPoolSize: number;

  const show = async (what: string): Promise<Row[]> => (await bouncer.query(`SHOW ${what}`)).rows as Row[];
  const ours = (rows: Row[]) => rows.filter((row) => row.database === DATABASE);
  const stats = async () => {
    const [row] = ours(await show('STATS'));
    return { transactions: Number(row?.total_xact_count ?? 0), queries: Number(row?.total_query_count ?? 0) };
  };

  beforeAll(async () => {
    // The admin console speaks the simple query protocol only, which pg uses for queries without values.
    bouncer = new pg.Client({ connectionString: `${PGBOUNCER}/pgbouncer` });
    await bouncer.connect();
    const config = Object.fromEntries((await show('CONFIG')).map((row) => [row.key, row.value]));
    expect(config.pool_mode).toBe('transaction');
    serverPoolSize = Number(config.default_pool_size);
    sql = await connect();
    provider = createFakeGateway();
    providerUrl = await provider.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await bouncer?.end();
    await sql?.end();
    await provider?.close();
  });

  describe('every query through PgBouncer (no replicas)', () => {
    let app: NestFastifyApplication;
    let db: Db;
    let buyer: Record<string, string>;
    let productIds: number[];

    beforeAll(async () => {
      app = await createTestApp({
        DATABASE_URL: `${PGBOUNCER}/${DATABASE}`,
        // No replicas: every read goes to the primary, so through PgBouncer. (A blank list; an empty
        // variable counts as unset and brings back the local replicas.)
        DATABASE_REPLICA_URLS: ',',
        // Three times as many client connections as PgBouncer has server connections.
        DB_POOL_MAX: String(serverPoolSize * 3),
        // PgBouncer 1.18 in transaction mode cannot keep named statements (1.21+ can).
        DB_PREPARED_STATEMENTS: 'false',
        CACHE_ENABLED: 'false',
        PAYMENT_GATEWAY_URL: providerUrl,
        CHECKOUT_CHARGE_MODE: 'inline',
        // 40 checkouts on 12 products queue on row locks: slow by design here, not worth a warning each.
        DB_SLOW_QUERY_MS: '10000',
        HTTP_SLOW_REQUEST_MS: '10000',
      });
      db = app.get(Db);
      const { rows } = await sql.query<{ id: number }>(
        `SELECT id FROM products WHERE status = 'active' ORDER BY id OFFSET 700 LIMIT 12`,
      );
      productIds = rows.map((row) => row.id);
      await sql.query('UPDATE products SET stock = 1000 WHERE id = ANY($1)', [productIds]);
    });

    afterAll(async () => {
      await app?.close();
    });

    it("runs the app's queries on PgBouncer's server connections, with the statement timeout still set", async () => {
      const [{ pid }] = await db.primary.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      const servers = ours(await show('SERVERS'));
      expect(servers.map((server) => Number(server.remote_pid))).toContain(pid);
      expect(ours(await show('CLIENTS')).map((client) => client.application_name)).toContain('store-api:primary');
      // pg's statement_timeout startup parameter is ignored by PgBouncer; each server connection sets it.
      const [{ setting }] = await db.primary.$queryRaw<
        { setting: string }[]
      >`SELECT setting FROM pg_settings WHERE name = 'statement_timeout'`;
      expect(Number(setting)).toBe(testConfig().DB_STATEMENT_TIMEOUT_MS);
    });

    it('serves product reads (list, detail, search) and a login through it', async () => {
      const before = await stats();
      const routedBefore = db.snapshot().routing['no-replicas'];
      const list = await app.inject({ method: 'GET', url: '/products?limit=5&sort=price_asc' });
      expect(list.statusCode, list.body).toBe(200);
      expect(list.json().data).toHaveLength(5);
      const next = await app.inject({
        method: 'GET',
        url: `/products?limit=5&sort=price_asc&cursor=${list.json().nextCursor}`,
      });
      expect(next.statusCode).toBe(200);
      const detail = await app.inject({ method: 'GET', url: `/products/${productIds[0]}` });
      expect(detail.statusCode, detail.body).toBe(200);
      expect(detail.json().id).toBe(productIds[0]);
      const search = await app.inject({ method: 'GET', url: '/products/search?q=walnut%20hammer' });
      expect(search.statusCode).toBe(200);
      expect(search.json().data.length).toBeGreaterThan(0);
      buyer = await login(app, BUYER);
      expect((await app.inject({ method: 'GET', url: '/me', headers: buyer })).json().email).toBe(BUYER);
      const after = await stats();
      expect(after.queries - before.queries).toBeGreaterThanOrEqual(6);
      expect(db.snapshot().routing['no-replicas'] - routedBefore).toBeGreaterThanOrEqual(4);
    });

    it("streams an export through it, from the pool thread's own connection", async () => {
      const range = 'from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z';
      const { rows } = await sql.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM orders WHERE created_at >= '2026-01-01' AND created_at < '2026-03-01'`,
      );
      const before = await stats();
      const admin = await login(app, ADMIN_EMAIL);
      const response = await app.inject({ method: 'GET', url: `/admin/orders/export?${range}`, headers: admin });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.body.trim().split('\n')).toHaveLength(rows[0].count);
      // One statement per batch of 1,000 (and the login's), each through PgBouncer.
      expect((await stats()).queries - before.queries).toBeGreaterThanOrEqual(Math.ceil(rows[0].count / 1_000));
    });

    it('multiplexes 4× as many concurrent checkouts as server connections: each order once, stock exact', async () => {
      const checkouts = serverPoolSize * 4;
      const stock = async () =>
        new Map(
          (await sql.query('SELECT id, stock FROM products WHERE id = ANY($1)', [productIds])).rows.map((row) => [
            row.id as number,
            row.stock as number,
          ]),
        );
      const stockBefore = await stock();
      const before = await stats();
      const taken = new Map<number, number>();
      const carts = Array.from({ length: checkouts }, (_, i) => {
        const items = [
          { productId: productIds[i % productIds.length], quantity: 1 },
          { productId: productIds[(i + 1) % productIds.length], quantity: 2 },
        ];
        for (const { productId, quantity } of items) taken.set(productId, (taken.get(productId) ?? 0) + quantity);
        return { key: `pgbouncer-${process.pid}-${Date.now()}-${i}`, items };
      });

      // Watch PgBouncer while the checkouts run: clients queue, server connections stay capped.
      let watching = true;
      const peak = { clients: 0, waiting: 0, servers: 0 };
      const watcher = (async () => {
        while (watching) {
          const [pool] = ours(await show('POOLS'));
          if (pool) {
            peak.clients = Math.max(peak.clients, Number(pool.cl_active) + Number(pool.cl_waiting));
            peak.waiting = Math.max(peak.waiting, Number(pool.cl_waiting));
            const servers = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'];
            peak.servers = Math.max(
              peak.servers,
              servers.reduce((sum, column) => sum + Number(pool[column]), 0),
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const responses = await Promise.all(
        carts.map(({ key, items }) =>
          app.inject({
            method: 'POST',
            url: '/checkout',
            headers: { ...buyer, 'idempotency-key': key },
            payload: { items, paymentToken: 'tok_visa' },
          }),
        ),
      );
      watching = false;
      await watcher;

      for (const response of responses) expect(response.statusCode, response.body).toBe(201);
      const orderIds = responses.map((response) => response.json().orderId as number);
      expect(new Set(orderIds).size).toBe(checkouts);
      expect(responses.every((response) => response.json().status === 'paid')).toBe(true);

      // In the database: each order once, with its items, its key, and one charge.
      const { rows: orders } = await sql.query(
        `SELECT o.id, o.status::text, count(i.*)::int AS items
         FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = ANY($1) GROUP BY o.id`,
        [orderIds],
      );
      expect(orders).toHaveLength(checkouts);
      expect(orders.every((order) => order.status === 'paid' && order.items === 2)).toBe(true);
      const { rows: keys } = await sql.query('SELECT key, order_id FROM idempotency_keys WHERE key = ANY($1)', [
        carts.map((cart) => cart.key),
      ]);
      expect(new Map(keys.map((row) => [row.key, row.order_id]))).toEqual(
        new Map(carts.map((cart, i) => [cart.key, orderIds[i]])),
      );
      const charges = (await provider.inject({ method: 'GET', url: '/charges' })).json() as { orderId: number }[];
      expect(charges.filter((charge) => orderIds.includes(charge.orderId))).toHaveLength(checkouts);
      const stockAfter = await stock();
      for (const id of productIds)
        expect(stockAfter.get(id), `stock of ${id}`).toBe(stockBefore.get(id)! - taken.get(id)!);

      // A retry of one of them replays its answer: nothing new is written.
      const replay = await app.inject({
        method: 'POST',
        url: '/checkout',
        headers: { ...buyer, 'idempotency-key': carts[0].key },
        payload: { items: carts[0].items, paymentToken: 'tok_visa' },
      });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json().orderId).toBe(orderIds[0]);

      // PgBouncer carried it all: more clients than server connections, never more servers than its pool.
      const after = await stats();
      expect(after.transactions - before.transactions).toBeGreaterThanOrEqual(checkouts * 3);
      expect(peak.clients).toBeGreaterThan(serverPoolSize);
      expect(peak.servers).toBeGreaterThan(0);
      expect(peak.servers).toBeLessThanOrEqual(serverPoolSize);
      expect(ours(await show('SERVERS')).length).toBeLessThanOrEqual(serverPoolSize);
      console.info(
        `pgbouncer: ${checkouts} concurrent checkouts, ${peak.clients} clients (${peak.waiting} waiting at peak) ` +
          `on ${peak.servers} server connections (pool ${serverPoolSize}); ` +
          `${after.transactions - before.transactions} transactions, ${after.queries - before.queries} queries`,
      );
    });

    it('runs Db.transaction at SERIALIZABLE and retries a serialization failure', async () => {
      const [a, b] = productIds;
      let attempts = 0;
      let bothRead: () => void;
      const barrier = new Promise<void>((resolve) => (bothRead = resolve));
      let reads = 0;
      // Write skew: each reads both rows, then writes the one the other read. One must fail (40001).
      const skewed = (mine: number) =>
        db.transaction(
          async (tx) => {
            const attempt = ++attempts;
            const [{ transaction_isolation }] = await tx.$queryRaw<
              { transaction_isolation: string }[]
            >`SHOW transaction_isolation`;
            expect(transaction_isolation).toBe('serializable');
            await tx.$queryRaw`SELECT sum(stock) FROM products WHERE id IN (${a}, ${b})`;
            if (attempt <= 2) {
              if (++reads === 2) bothRead();
              await barrier;
            }
            await tx.$executeRaw`UPDATE products SET stock = stock + 1 WHERE id = ${mine}`;
          },
          { isolationLevel: Prisma.TransactionIsolationLevel.Serializable, maxAttempts: 3 },
        );
      const stockOf = async (id: number) =>
        (await sql.query('SELECT stock FROM products WHERE id = $1', [id])).rows[0].stock as number;
      const [beforeA, beforeB] = [await stockOf(a), await stockOf(b)];
      await Promise.all([skewed(a), skewed(b)]);
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect([await stockOf(a), await stockOf(b)]).toEqual([beforeA + 1, beforeB + 1]);
    });
  });

  describe('primary through PgBouncer, replicas direct (the production shape)', () => {
    let app: NestFastifyApplication;
    let db: Db;
    let buyer: Record<string, string>;
    let productId: number;

    beforeAll(async () => {
      app = await createTestApp({
        DATABASE_URL: `${PGBOUNCER}/${DATABASE}`,
        PAYMENT_GATEWAY_URL: providerUrl,
        CHECKOUT_CHARGE_MODE: 'inline',
      });
      db = app.get(Db);
      buyer = await login(app, BUYER);
      ({
        rows: [{ id: productId }],
      } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id OFFSET 720 LIMIT 1`));
      await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
    });

    afterAll(async () => {
      await app?.close();
    });

    it('probes the primary position through PgBouncer and keeps the replicas in rotation', async () => {
      const before = await stats();
      await db.probeReplicas();
      expect((await stats()).queries).toBeGreaterThan(before.queries);
      expect(ours(await show('CLIENTS')).map((client) => client.application_name)).toContain('store-api:replica-probe');
      const { replicas } = db.snapshot();
      expect(replicas).toHaveLength(2);
      for (const replica of replicas) expect(replica.inRotation, replica.reason).toBe(true);
    });

    it("hands out the primary's WAL position after a checkout, and reads the order back with it", async () => {
      const lsn = async () => parseLsn((await sql.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn);
      const before = await lsn();
      const response = await app.inject({
        method: 'POST',
        url: '/checkout',
        headers: { ...buyer, 'idempotency-key': `pgbouncer-rw-${process.pid}-${Date.now()}` },
        payload: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
      });
      expect(response.statusCode, response.body).toBe(201);
      const token = String(response.headers['x-consistency-token']);
      // `<position>.<signature>`
      const position = parseLsn(token.split('.')[0]);
      expect(position).toBeGreaterThan(before);
      expect(position).toBeLessThanOrEqual(await lsn());
      const { orderId } = response.json();
      const routed = { ...db.snapshot().routing };
      const read = await app.inject({
        method: 'GET',
        url: `/orders/${orderId}`,
        headers: { ...buyer, 'x-consistency-token': token },
      });
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json().id).toBe(orderId);
      expect(read.json().status).toBe('paid');
      const routing = db.snapshot().routing;
      expect(routing.replica + routing['token-forced'] - routed.replica - routed['token-forced']).toBeGreaterThan(0);
    });
  });
});
