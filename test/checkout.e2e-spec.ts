import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { Db } from '../src/database/index.js';
import { connect } from './support/sql.js';
import { createTestApp, login } from './support/test-app.js';
import { WireCounts } from './support/wire-counts.js';

describe('checkout (e2e: real Postgres, replicas, Redis, local payment provider over HTTP)', () => {
  let app: NestFastifyApplication;
  let sql: pg.Client;
  let provider: FastifyInstance;
  const behaviour = { latencyMs: 0, failureRate: 0 };
  let buyer: Record<string, string>;
  let productId: number;
  let wire: WireCounts;

  beforeAll(async () => {
    provider = createFakeGateway(behaviour);
    const providerUrl = await provider.listen({ port: 0, host: '127.0.0.1' });
    app = await createTestApp({
      PAYMENT_GATEWAY_URL: providerUrl,
      PAYMENT_BREAKER_THRESHOLD: '3',
      PAYMENT_BREAKER_HALF_OPEN_MS: '60000',
      PAYMENT_TIMEOUT_MS: '500',
      // No background queries or Redis calls while a checkout's are counted.
      HEALTH_PROBE_INTERVAL_MS: '60000',
      RATE_LIMIT_ENABLED: 'false',
    });
    wire = new WireCounts(app.get(Db));
    sql = await connect();
    buyer = await login(app, 'user21@example.com');
    ({
      rows: [{ id: productId }],
    } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1`));
    await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
  });

  afterAll(async () => {
    wire?.close();
    await sql?.end();
    await app?.close();
    await provider?.close();
  });

  let keys = 0;
  const newKey = () => `test-${process.pid}-${Date.now()}-${keys++}`;
  const checkout = (key: string | undefined, payload: object, headers = buyer) =>
    app.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) },
      payload,
    });
  const chargesFor = async (orderId: number) =>
    ((await provider.inject({ method: 'GET', url: '/charges' })).json() as { orderId: number }[]).filter(
      (charge) => charge.orderId === orderId,
    );
  const userIdOf = async (email: string) =>
    (await sql.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id as number;
  const stockOf = async (id: number) =>
    (await sql.query('SELECT stock FROM products WHERE id = $1', [id])).rows[0].stock as number;

  it('charges once, answers 201, takes the stock, and queues the confirmation email in the outbox', async () => {
    const before = await stockOf(productId);
    const response = await checkout(newKey(), { items: [{ productId, quantity: 2 }], paymentToken: 'tok_visa' });
    expect(response.statusCode, response.body).toBe(201);
    const { orderId, status, totalCents } = response.json();
    expect(status).toBe('paid');
    expect(response.headers['x-consistency-token']).toBeTruthy();
    expect(await chargesFor(orderId)).toHaveLength(1);
    expect(await stockOf(productId)).toBe(before - 2);
    const {
      rows: [order],
    } = await sql.query('SELECT status::text, total_cents FROM orders WHERE id = $1', [orderId]);
    expect(order).toEqual({ status: 'paid', total_cents: totalCents });
    const { rows: events } = await sql.query(
      `SELECT topic, payload, sent_at IS NOT NULL AS done FROM outbox_events WHERE (payload->>'orderId')::int = $1 ORDER BY id`,
      [orderId],
    );
    expect(events).toEqual([
      { topic: 'charge', payload: { orderId }, done: true },
      { topic: 'email', payload: { orderId, template: 'order-confirmation' }, done: false },
    ]);
    // The payment token, kept sealed while the order waited, went with the settlement.
    const { rows: tokens } = await sql.query('SELECT 1 FROM order_payment_tokens WHERE order_id = $1', [orderId]);
    expect(tokens).toEqual([]);
  });

  it('costs 6 round trips on the primary and 3 Redis commands when charged inline', async () => {
    const payload = { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' };
    await checkout(newKey(), payload); // the first call loads the invalidation script
    const { result, roundTrips, redis } = await wire.measure(() => checkout(newKey(), payload));
    expect(result.statusCode).toBe(201);
    // The order placed (1) and the position after it (1: the cache invalidation's); the charge
    // settled (one statement: 1) and remembered as the user's write (1: position); the answer
    // stored with the key (1); the response's consistency token (1: position).
    expect(roundTrips).toEqual({ primary: 6 });
    const lastWrite = `set db:last-write:user:${await userIdOf('user21@example.com')}`;
    expect(redis).toEqual(['evalsha', lastWrite, lastWrite]);
  });

  it('replays the first answer for the same key and body, and refuses another body (422)', async () => {
    const key = newKey();
    const payload = { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' };
    const first = await checkout(key, payload);
    const again = await checkout(key, { paymentToken: 'tok_visa', items: [{ quantity: 1, productId }] }); // same, keys reordered
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await chargesFor(first.json().orderId)).toHaveLength(1);
    const other = await checkout(key, { items: [{ productId, quantity: 3 }], paymentToken: 'tok_visa' });
    expect(other.statusCode).toBe(422);
  });

  it('makes one order of concurrent requests with one key', async () => {
    const key = newKey();
    const payload = { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' };
    const responses = await Promise.all(Array.from({ length: 5 }, () => checkout(key, payload)));
    const created = responses.filter((response) => response.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(responses.every((response) => [201, 409].includes(response.statusCode))).toBe(true);
    expect(new Set(created.map((response) => response.json().orderId)).size).toBe(1);
    const { rows } = await sql.query('SELECT order_id FROM idempotency_keys WHERE key = $1', [key]);
    expect(await chargesFor(rows[0].order_id)).toHaveLength(1);
  });

  it('sells the last 10 units to exactly 10 of 100 concurrent buyers, never below zero', async () => {
    const {
      rows: [{ id }],
    } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET 1`);
    await sql.query('UPDATE products SET stock = 10 WHERE id = $1', [id]);
    const {
      rows: [{ n: ordersBefore }],
    } = await sql.query('SELECT count(*)::int AS n FROM order_items WHERE product_id = $1', [id]);
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        checkout(newKey(), { items: [{ productId: id, quantity: 1 }], paymentToken: 'tok_visa' }),
      ),
    );
    const codes = responses.map((response) => response.statusCode);
    expect(codes.filter((code) => code === 201)).toHaveLength(10);
    expect(codes.filter((code) => code === 409)).toHaveLength(90);
    expect(await stockOf(id)).toBe(0);
    const {
      rows: [{ n: ordersAfter }],
    } = await sql.query('SELECT count(*)::int AS n FROM order_items WHERE product_id = $1', [id]);
    expect(ordersAfter - ordersBefore).toBe(10);
  });

  it('declines a refused card with 402, cancels the order and returns the stock', async () => {
    const before = await stockOf(productId);
    const response = await checkout(newKey(), { items: [{ productId, quantity: 4 }], paymentToken: 'tok_declined' });
    expect(response.statusCode).toBe(402);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().status).toBe(402);
    expect(await stockOf(productId)).toBe(before);
    expect(response.json().order.status).toBe('payment_failed');
    const {
      rows: [order],
    } = await sql.query('SELECT status::text FROM orders WHERE id = $1', [response.json().order.orderId]);
    expect(order.status).toBe('payment_failed');
  });

  it.each([
    [
      'no Idempotency-Key',
      undefined,
      { items: [{ productId: 1, quantity: 1 }], paymentToken: 'tok' },
      'headers.idempotency-key',
    ],
    [
      'a key with spaces',
      'not a key',
      { items: [{ productId: 1, quantity: 1 }], paymentToken: 'tok' },
      'headers.idempotency-key',
    ],
    ['no items', 'k-1', { items: [], paymentToken: 'tok' }, 'body.items'],
    [
      'a product twice',
      'k-2',
      {
        items: [
          { productId: 1, quantity: 1 },
          { productId: 1, quantity: 2 },
        ],
        paymentToken: 'tok',
      },
      'body.items',
    ],
    ['quantity 0', 'k-3', { items: [{ productId: 1, quantity: 0 }], paymentToken: 'tok' }, 'body.items.0.quantity'],
    ['no token', 'k-4', { items: [{ productId: 1, quantity: 1 }] }, 'body.paymentToken'],
  ])('400 for %s, and nothing written', async (_label, key, payload, field) => {
    const {
      rows: [{ n: before }],
    } = await sql.query('SELECT count(*)::int AS n FROM orders');
    const response = await checkout(key, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
    const {
      rows: [{ n: after }],
    } = await sql.query('SELECT count(*)::int AS n FROM orders');
    expect(after).toBe(before);
  });

  it('422 for an unknown product, 401 anonymous', async () => {
    expect(
      (await checkout(newKey(), { items: [{ productId: 2_000_000_000, quantity: 1 }], paymentToken: 'tok_visa' }))
        .statusCode,
    ).toBe(422);
    expect((await app.inject({ method: 'POST', url: '/checkout', payload: {} })).statusCode).toBe(401);
  });

  it('answers 202 payment_pending when the provider fails, then fast once the breaker is open; the charge waits in the outbox', async () => {
    behaviour.failureRate = 1;
    try {
      const answers = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const response = await checkout(newKey(), { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' });
        answers.push({
          code: response.statusCode,
          ms: performance.now() - started,
          orderId: response.json().orderId,
          status: response.json().status,
        });
      }
      expect(answers.every((answer) => answer.code === 202 && answer.status === 'payment_pending')).toBe(true);
      expect(answers.at(-1)!.ms, 'breaker open: no waiting on the provider').toBeLessThan(200);
      const { rows } = await sql.query(
        `SELECT count(*)::int AS n FROM outbox_events WHERE topic = 'charge' AND sent_at IS NULL AND available_at <= now() AND (payload->>'orderId')::int = ANY($1::int[])`,
        [answers.map((answer) => answer.orderId)],
      );
      expect(rows[0].n).toBe(5);
      for (const { orderId } of answers) expect(await chargesFor(orderId)).toHaveLength(0);
    } finally {
      behaviour.failureRate = 0;
    }
  });
});
