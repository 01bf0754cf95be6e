import { MAX_ITEM_QUANTITY, MAX_ORDER_TOTAL_CENTS, MAX_PRICE_CENTS, formatLimit } from '../src/common/money.js';
import { ADMIN_EMAIL, login, useTestApp } from './support/test-app.js';

/**
 * Money cannot overflow: an order whose total would not fit `orders.total_cents` is a 422 naming the
 * limit, decided in the checkout's own statement (nothing written); quantities and prices are
 * bounded by validation (400, field messages) and by SQL CHECKs with the same numbers.
 */
describe('money bounds (e2e: real Postgres)', () => {
  // Deferred: the order is placed and answered 202 without a payment provider.
  const context = useTestApp({ CHECKOUT_CHARGE_MODE: 'deferred' });
  let admin: Record<string, string>;
  let buyer: Record<string, string>;
  let buyerId: number;
  let productId: number;
  const run = `${process.pid}-${Date.now() % 1_000_000}`;
  let keys = 0;
  const newKey = () => `money-${run}-${keys++}`;

  beforeAll(async () => {
    admin = await login(context.app, ADMIN_EMAIL);
    buyer = await login(context.app, 'user33@example.com');
    buyerId = (await context.sql.query(`SELECT id FROM users WHERE email = 'user33@example.com'`)).rows[0].id;
    // The most a product may cost: 22 units are 2.2e9 cents, above what one order holds.
    const created = await context.app.inject({
      method: 'POST',
      url: '/products',
      headers: admin,
      payload: { sku: `MONEY-${run}`, name: 'Gold bar', priceCents: MAX_PRICE_CENTS, categoryId: 1, stock: 1_000 },
    });
    expect(created.statusCode, created.body).toBe(201);
    productId = created.json().id;
  });

  const checkout = (key: string, quantity: number) =>
    context.app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...buyer, 'idempotency-key': key },
      payload: { items: [{ productId, quantity }], paymentToken: 'tok_visa' },
    });
  const state = async () => {
    const { rows } = await context.sql.query(
      `SELECT (SELECT stock FROM products WHERE id = $1) AS stock,
              (SELECT count(*)::int FROM orders WHERE user_id = $2) AS orders,
              (SELECT count(*)::int FROM outbox_events) AS events`,
      [productId, buyerId],
    );
    return rows[0] as { stock: number; orders: number; events: number };
  };

  it('refuses a total above 2,147,483,647 cents with a 422 naming the limit, and writes nothing', async () => {
    const before = await state();
    const key = newKey();
    const refused = await checkout(key, 22);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().detail).toContain(formatLimit(MAX_ORDER_TOTAL_CENTS));
    expect(refused.json().errors).toEqual([
      { field: 'body.items', message: `the order total must be at most ${formatLimit(MAX_ORDER_TOTAL_CENTS)} cents` },
    ]);
    expect(await state()).toEqual(before);
    // The key holds the refusal only (no order), like every refusal: the same answer again.
    const { rows: stored } = await context.sql.query(
      'SELECT status, order_id, response_status FROM idempotency_keys WHERE user_id = $1 AND key = $2',
      [buyerId, key],
    );
    expect(stored).toEqual([{ status: 'completed', order_id: null, response_status: 422 }]);
    const replayed = await checkout(key, 22);
    expect(replayed.statusCode).toBe(422);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(await state()).toEqual(before);
  });

  it('places an order just under the limit (2.1e9 cents) with its exact total', async () => {
    const before = await state();
    const placed = await checkout(newKey(), 21);
    expect(placed.statusCode, placed.body).toBe(202);
    expect(placed.json().totalCents).toBe(21 * MAX_PRICE_CENTS);
    const { rows } = await context.sql.query('SELECT total_cents FROM orders WHERE id = $1', [placed.json().orderId]);
    expect(rows[0].total_cents).toBe(21 * MAX_PRICE_CENTS);
    expect((await state()).stock).toBe(before.stock - 21);
  });

  it('refuses quantities and prices above their maxima with field messages (400)', async () => {
    const tooMany = await checkout(newKey(), MAX_ITEM_QUANTITY + 1);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors).toEqual([
      { field: 'body.items.0.quantity', message: `must be at most ${MAX_ITEM_QUANTITY}` },
    ]);
    const tooDear = await context.app.inject({
      method: 'POST',
      url: '/products',
      headers: admin,
      payload: { sku: `MONEY2-${run}`, name: 'Platinum bar', priceCents: MAX_PRICE_CENTS + 1, categoryId: 1 },
    });
    expect(tooDear.statusCode).toBe(400);
    expect(tooDear.json().errors).toEqual([
      { field: 'body.priceCents', message: `must be at most ${formatLimit(MAX_PRICE_CENTS)}` },
    ]);
    const patched = await context.app.inject({
      method: 'PATCH',
      url: `/products/${productId}`,
      headers: admin,
      payload: { priceCents: -1 },
    });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().errors[0].field).toBe('body.priceCents');
  });

  it('refuses rows outside the bounds in SQL too (CHECK constraints, whatever writes them)', async () => {
    const { sql } = context;
    const [{ id: orderId }] = (await sql.query('SELECT id FROM orders ORDER BY id LIMIT 1')).rows;
    const refused = async (
      statement: string,
      params: unknown[],
      constraint: string | ReturnType<typeof expect.stringMatching>,
    ) => expect(sql.query(statement, params)).rejects.toMatchObject({ code: '23514', constraint });
    await refused(
      'UPDATE products SET price_cents = $2 WHERE id = $1',
      [productId, MAX_PRICE_CENTS + 1],
      'products_price_cents_max_check',
    );
    await refused('UPDATE products SET price_cents = -1 WHERE id = $1', [productId], 'products_price_cents_check');
    const item = 'INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES ($1, $2, $3, $4)';
    await refused(item, [orderId, productId, MAX_ITEM_QUANTITY + 1, 1], 'order_items_quantity_max_check');
    await refused(item, [orderId, productId, 0, 1], 'order_items_quantity_check');
    await refused(item, [orderId, productId, 1, -1], 'order_items_unit_price_cents_check');
    await refused(item, [orderId, productId, 1, MAX_PRICE_CENTS + 1], 'order_items_unit_price_cents_check');
    // Either CHECK refuses it (refunded_cents is bounded by total_cents too); Postgres names the first it tries.
    await refused(
      'UPDATE orders SET total_cents = -1 WHERE id = $1',
      [orderId],
      expect.stringMatching(/^orders_(total|refunded)_cents_check$/),
    );
    // The bounds themselves are allowed: the CHECKs and the validation agree.
    await sql.query('BEGIN');
    try {
      await sql.query('UPDATE products SET price_cents = $2 WHERE id = $1', [productId, MAX_PRICE_CENTS]);
      await sql.query(item, [orderId, productId, MAX_ITEM_QUANTITY, MAX_PRICE_CENTS]);
      await sql.query('UPDATE orders SET total_cents = $2 WHERE id = $1', [orderId, MAX_ORDER_TOTAL_CENTS]);
    } finally {
      await sql.query('ROLLBACK');
    }
  });
});
