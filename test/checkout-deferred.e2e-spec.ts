import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { IdempotencyStore } from '../src/checkout/idempotency.store.js';
import { Db } from '../src/database/index.js';
import { connect } from './support/sql.js';
import { createTestApp, login } from './support/test-app.js';
import { WireCounts } from './support/wire-counts.js';

type Item = { productId: number; quantity: number };

/**
 * Deferred checkout (the mode meant for load): one statement places the order, and the costs of
 * a checkout at the wire are counted.
 */
describe('checkout, deferred (e2e: real Postgres, replicas, Redis)', () => {
  let app: NestFastifyApplication;
  let sql: pg.Client;
  let wire: WireCounts;
  let buyer: Record<string, string>;
  let buyerId: number;
  /** Products of this file's own (others' files use the first ones). */
  let products: number[];

  beforeAll(async () => {
    app = await createTestApp({
      CHECKOUT_CHARGE_MODE: 'deferred',
      // No background queries on the pools while round trips are counted.
      HEALTH_PROBE_INTERVAL_MS: '60000',
      // Rate limits are counted apart (leases: one Redis call per many requests).
      RATE_LIMIT_ENABLED: 'false',
    });
    sql = await connect();
    wire = new WireCounts(app.get(Db));
    buyer = await login(app, 'user23@example.com');
    ({
      rows: [{ id: buyerId }],
    } = await sql.query(`SELECT id FROM users WHERE email = 'user23@example.com'`));
    const { rows } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id OFFSET 1500 LIMIT 6`);
    products = rows.map((row) => row.id);
    await sql.query('UPDATE products SET stock = 1000 WHERE id = ANY($1::int[])', [products]);
  });

  afterAll(async () => {
    wire?.close();
    await sql?.end();
    await app?.close();
  });

  let keys = 0;
  const newKey = () => `deferred-${process.pid}-${Date.now()}-${keys++}`;
  const checkout = (key: string, items: Item[], paymentToken = 'tok_visa') =>
    app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...buyer, 'idempotency-key': key },
      payload: { items, paymentToken },
    });
  const stockOf = async (id: number) =>
    (await sql.query('SELECT stock FROM products WHERE id = $1', [id])).rows[0].stock as number;
  const keyRow = async (key: string) =>
    (
      await sql.query(
        'SELECT status, order_id, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2',
        [buyerId, key],
      )
    ).rows[0];

  it('costs 2 round trips on the primary (the statement, then the position) and 2 Redis commands', async () => {
    const items = [{ productId: products[0], quantity: 1 }];
    await checkout(newKey(), items); // the first call loads the invalidation script
    for (let i = 0; i < 3; i++) {
      const { result, roundTrips, redis } = await wire.measure(() => checkout(newKey(), items));
      expect(result.statusCode, result.body).toBe(202);
      expect(roundTrips).toEqual({ primary: 2 });
      // The product's cache entries dropped and the bus told (one script), the user's last write remembered.
      expect(redis).toEqual(['evalsha', `set db:last-write:user:${buyerId}`]);
    }
  });

  it('answers 202 payment_pending and writes the order, its items, the charge event and the key in one go', async () => {
    const [first, second] = products;
    const before = [await stockOf(first), await stockOf(second)];
    const key = newKey();
    const response = await checkout(key, [
      { productId: second, quantity: 2 },
      { productId: first, quantity: 1 },
    ]);
    expect(response.statusCode, response.body).toBe(202);
    expect(response.headers['x-consistency-token']).toBeTruthy();
    const body = response.json();
    const { rows: prices } = await sql.query(
      'SELECT id, price_cents, currency FROM products WHERE id = ANY($1::int[])',
      [[first, second]],
    );
    const price = (id: number) => prices.find((row) => row.id === id).price_cents as number;
    expect(body).toEqual({
      orderId: expect.any(Number),
      status: 'payment_pending',
      totalCents: price(first) + 2 * price(second),
      currency: prices[0].currency,
    });
    expect([await stockOf(first), await stockOf(second)]).toEqual([before[0] - 1, before[1] - 2]);
    const {
      rows: [order],
    } = await sql.query(
      'SELECT user_id, status::text, total_cents, currency, updated_at IS NOT NULL AS stamped FROM orders WHERE id = $1',
      [body.orderId],
    );
    expect(order).toEqual({
      user_id: buyerId,
      status: 'payment_pending',
      total_cents: body.totalCents,
      currency: body.currency,
      stamped: true,
    });
    const { rows: items } = await sql.query(
      'SELECT product_id, quantity, unit_price_cents FROM order_items WHERE order_id = $1 ORDER BY product_id',
      [body.orderId],
    );
    expect(items).toEqual([
      { product_id: first, quantity: 1, unit_price_cents: price(first) },
      { product_id: second, quantity: 2, unit_price_cents: price(second) },
    ]);
    const { rows: events } = await sql.query(
      `SELECT topic, payload, available_at <= now() AS due FROM outbox_events WHERE (payload->>'orderId')::int = $1`,
      [body.orderId],
    );
    // The event (and so the job) holds no token; the token is kept sealed with the order.
    expect(events).toEqual([{ topic: 'charge', payload: { orderId: body.orderId }, due: true }]);
    const { rows: tokens } = await sql.query('SELECT ciphertext FROM order_payment_tokens WHERE order_id = $1', [
      body.orderId,
    ]);
    expect(tokens).toEqual([{ ciphertext: expect.stringMatching(/^v1\./) }]);
    expect(await keyRow(key)).toEqual({
      status: 'completed',
      order_id: body.orderId,
      response_status: 202,
      response_body: body,
    });

    const { result: again, roundTrips } = await wire.measure(() =>
      checkout(key, [
        { quantity: 2, productId: second },
        { quantity: 1, productId: first },
      ]),
    );
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(body);
    // The statement finds the key taken, the key is read, and the replay carries a token too (the
    // client that retries may never have seen the first answer's).
    expect(roundTrips).toEqual({ primary: 3 });
    expect([await stockOf(first), await stockOf(second)]).toEqual([before[0] - 1, before[1] - 2]);
  });

  it('sells the last 10 units to exactly 10 of 100 concurrent buyers, and stores each refusal as its key’s answer', async () => {
    const id = products[2];
    await sql.query('UPDATE products SET stock = 10 WHERE id = $1', [id]);
    const keysUsed = Array.from({ length: 100 }, newKey);
    const responses = await Promise.all(keysUsed.map((key) => checkout(key, [{ productId: id, quantity: 1 }])));
    const codes = responses.map((response) => response.statusCode);
    expect(codes.filter((code) => code === 202)).toHaveLength(10);
    expect(codes.filter((code) => code === 409)).toHaveLength(90);
    expect(await stockOf(id)).toBe(0);
    const orderIds = responses.filter((r) => r.statusCode === 202).map((r) => r.json().orderId);
    const {
      rows: [{ n }],
    } = await sql.query('SELECT sum(quantity)::int AS n FROM order_items WHERE order_id = ANY($1::int[])', [orderIds]);
    expect(n).toBe(10);

    // A refusal costs as much: the statement, then its answer stored with the key (no position: nothing changed).
    const late = await wire.measure(() => checkout(newKey(), [{ productId: id, quantity: 1 }]));
    expect(late.result.statusCode).toBe(409);
    expect(late.roundTrips).toEqual({ primary: 2 });
    expect(late.redis).toEqual([]);

    const refused = keysUsed[codes.indexOf(409)];
    await sql.query('UPDATE products SET stock = 5 WHERE id = $1', [id]);
    const again = await checkout(refused, [{ productId: id, quantity: 1 }]);
    expect(again.statusCode).toBe(409);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.json()).toMatchObject({ status: 409 });
    expect(await stockOf(id)).toBe(5);
  });

  it('never deadlocks on baskets naming the same products in opposite orders, and takes them all or none', async () => {
    const basket = products.slice(3, 6);
    await sql.query('UPDATE products SET stock = 20 WHERE id = ANY($1::int[])', [basket]);
    const orders = [
      basket,
      [...basket].reverse(),
      [basket[1], basket[2], basket[0]],
      [basket[2], basket[0], basket[1]],
    ];
    const responses = await Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        checkout(
          newKey(),
          orders[i % orders.length].map((productId) => ({ productId, quantity: 1 })),
        ),
      ),
    );
    const codes = responses.map((response) => response.statusCode);
    expect(codes.filter((code) => code === 202)).toHaveLength(20);
    expect(codes.filter((code) => code === 409)).toHaveLength(28);
    for (const id of basket) expect(await stockOf(id)).toBe(0);
  });

  it('makes one order of concurrent requests with one key', async () => {
    const key = newKey();
    const items = [{ productId: products[0], quantity: 1 }];
    const responses = await Promise.all(Array.from({ length: 5 }, () => checkout(key, items)));
    expect(responses.every((response) => [202, 409].includes(response.statusCode))).toBe(true);
    const placed = responses.filter((response) => response.statusCode === 202);
    expect(placed.filter((response) => !response.headers['idempotent-replayed'])).toHaveLength(1);
    const { order_id } = await keyRow(key);
    expect(new Set(placed.map((response) => response.json().orderId))).toEqual(new Set([order_id]));
    const {
      rows: [{ n }],
    } = await sql.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`, [key]);
    expect(n).toBe(1);
  });

  describe('a key left by an attempt that died', () => {
    const items = () => [{ productId: products[1], quantity: 1 }];
    const hashOf = (paymentToken = 'tok_visa') => IdempotencyStore.hash({ items: items(), paymentToken });
    const leave = (key: string, { hash = hashOf(), expired = true, orderId = null as number | null } = {}) =>
      sql.query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, status, order_id, locked_until)
         VALUES ($1, $2, $3, 'in_progress', $4, now() + $5 * interval '1 second')`,
        [buyerId, key, hash, orderId, expired ? -1 : 60],
      );

    it('before placing anything: a retry takes it over and places the order', async () => {
      const key = newKey();
      await leave(key);
      const before = await stockOf(products[1]);
      const response = await checkout(key, items());
      expect(response.statusCode, response.body).toBe(202);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(await stockOf(products[1])).toBe(before - 1);
      expect(await keyRow(key)).toMatchObject({ status: 'completed', order_id: response.json().orderId });
    });

    it('after placing its order: a retry continues from that order, placing none', async () => {
      const placed = await checkout(newKey(), items());
      const { orderId } = placed.json();
      const key = newKey();
      await leave(key, { orderId });
      const before = await stockOf(products[1]);
      const response = await checkout(key, items());
      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual(placed.json());
      expect(await stockOf(products[1])).toBe(before);
      expect(await keyRow(key)).toMatchObject({ status: 'completed', order_id: orderId, response_status: 202 });
    });

    it('still holding it: 409 in progress; with another body: 422', async () => {
      const live = newKey();
      await leave(live, { expired: false });
      expect((await checkout(live, items())).statusCode).toBe(409);
      const other = newKey();
      await leave(other, { hash: hashOf('tok_other') });
      expect((await checkout(other, items())).statusCode).toBe(422);
      expect(await keyRow(other)).toMatchObject({ status: 'in_progress', order_id: null });
    });
  });

  it('refuses a basket in two currencies (422) and an unknown product (422), writing nothing but the answer', async () => {
    const {
      rows: [euro],
    } = await sql.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock, category_id, updated_at)
       SELECT 'deferred-eur-' || $1, 'Euro thing', 100, 'EUR', 5, category_id, now() FROM products WHERE id = $2
       RETURNING id`,
      [`${process.pid}-${Date.now()}`, products[0]],
    );
    try {
      const before = await stockOf(products[0]);
      const key = newKey();
      const response = await checkout(key, [
        { productId: products[0], quantity: 1 },
        { productId: euro.id, quantity: 1 },
      ]);
      expect(response.statusCode).toBe(422);
      expect(response.json().detail).toBe('All items of one order must have the same currency.');
      expect([await stockOf(products[0]), await stockOf(euro.id)]).toEqual([before, 5]);
      expect(await keyRow(key)).toMatchObject({ status: 'completed', order_id: null, response_status: 422 });
    } finally {
      await sql.query('DELETE FROM products WHERE id = $1', [euro.id]);
    }
    const unknown = await checkout(newKey(), [
      { productId: products[0], quantity: 1 },
      { productId: 2_000_000_000, quantity: 1 },
    ]);
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toEqual([
      { field: 'body.items', message: 'product 2000000000 does not exist or is archived' },
    ]);
  });
});
