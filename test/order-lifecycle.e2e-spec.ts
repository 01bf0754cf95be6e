import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway, type Charge, type Refund } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { ORDER_STATUSES } from '../src/orders/order.dto.js';
import { queueConnection, releaseQueueConnection } from '../src/queues/queue-connection.js';
import { REFUNDS_QUEUE } from '../src/queues/queues.constants.js';
import { ORDER_TRANSITIONS, allows, type OrderAction } from '../src/orders/order-lifecycle.js';
import { startWorker, type AppProcess } from './support/app-process.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp, login, testConfig } from './support/test-app.js';
import { resumeTestQueues } from './support/test-queues.js';
import { waitFor } from './support/wait-for.js';

type Headers = Record<string, string>;

/**
 * The order lifecycle end to end: the API in this process, the built worker as a real process,
 * the fake provider and the SMTP sink. Every transition of `ORDER_TRANSITIONS`, every refused one,
 * and what follows from them (stock, refunds at the provider, emails), once each.
 */
describe('order lifecycle: cancel, ship, deliver, refund (e2e: worker process, fake provider, SMTP)', () => {
  const behaviour = { latencyMs: 0, failureRate: 0 };
  const gateway = createFakeGateway(behaviour);
  const sink = createSmtpSink();
  let app: NestFastifyApplication;
  let deferred: NestFastifyApplication;
  let sql: pg.Client;
  let worker: AppProcess | undefined;
  let buyer: Headers;
  let other: Headers;
  let admin: Headers;
  let productId: number;

  beforeAll(async () => {
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const common = {
      PAYMENT_GATEWAY_URL: gatewayUrl,
      PAYMENT_TIMEOUT_MS: '3000',
      SMTP_URL: `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`,
    };
    app = await createTestApp(common);
    deferred = await createTestApp({ ...common, CHECKOUT_CHARGE_MODE: 'deferred' });
    sql = await connect();
    // Events left by other test files are not this file's business.
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    await resumeTestQueues();
    buyer = await login(app, 'user41@example.com');
    other = await login(app, 'user42@example.com');
    admin = await login(app, ADMIN_EMAIL);
    ({
      rows: [{ id: productId }],
    } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id DESC OFFSET 3 LIMIT 1`));
    await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
    worker = await startWorker({
      ...common,
      CHARGE_BACKOFF_MS: '100',
      EMAIL_BACKOFF_MS: '100',
      OUTBOX_RELAY_INTERVAL_MS: '50',
      WORKER_METRICS_PORT: '0',
    });
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await sql?.end();
    await app?.close();
    await deferred?.close();
    await gateway.close();
    await sink.close();
  });

  let keys = 0;
  const checkout = async (on = app, headers = buyer, quantity = 2) => {
    const response = await on.inject({
      method: 'POST',
      url: '/checkout',
      headers: { ...headers, 'idempotency-key': `lifecycle-${process.pid}-${Date.now()}-${keys++}` },
      payload: { items: [{ productId, quantity }], paymentToken: 'tok_visa' },
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json() as { orderId: number; status: string; totalCents: number };
  };
  const post = (url: string, headers: Headers, payload?: unknown) =>
    app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const act = (orderId: number, action: OrderAction, headers = admin, payload?: unknown) =>
    post(
      `/orders/${orderId}/${action}`,
      headers,
      payload ?? (action === 'ship' ? { trackingReference: 'TRK-1' } : undefined),
    );
  const statusOf = async (orderId: number) =>
    (await sql.query('SELECT status::text FROM orders WHERE id = $1', [orderId])).rows[0].status as string;
  const stock = async () =>
    (await sql.query('SELECT stock FROM products WHERE id = $1', [productId])).rows[0].stock as number;
  const refundsFor = async (orderId: number) =>
    ((await gateway.inject({ method: 'GET', url: '/refunds' })).json() as Refund[]).filter(
      (refund) => refund.orderId === orderId,
    );
  const chargesFor = async (orderId: number) =>
    ((await gateway.inject({ method: 'GET', url: '/charges' })).json() as Charge[]).filter(
      (charge) => charge.orderId === orderId,
    );
  const emailsFor = (orderId: number) =>
    sink.messages.filter((message) => message.id.startsWith(`<order-${orderId}.`)).map((message) => message.id);
  const email = (orderId: number, template: string) => `<order-${orderId}.${template}@store.local>`;
  /** Waits for these emails, then leaves room for a duplicate to show up. */
  const expectEmails = async (orderId: number, templates: string[]) => {
    await waitFor(() => emailsFor(orderId).length >= templates.length, 15_000, `order ${orderId}'s emails`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(emailsFor(orderId).sort()).toEqual(templates.map((template) => email(orderId, template)).sort());
  };
  const refundsSettled = async (orderId: number) =>
    (
      await sql.query(`SELECT count(*)::int AS pending FROM order_refunds WHERE order_id = $1 AND status = 'pending'`, [
        orderId,
      ])
    ).rows[0].pending === 0;

  it('paid → shipped → delivered → partly refunded → refunded: each step once, with its email and provider refund', async () => {
    const { orderId, totalCents } = await checkout();
    const shipped = await act(orderId, 'ship', admin, { trackingReference: '  1Z999AA10123456784 ' });
    expect(shipped.statusCode, shipped.body).toBe(200);
    expect(shipped.json()).toMatchObject({ id: orderId, status: 'shipped', trackingReference: '1Z999AA10123456784' });
    // The customer reads their own write at once.
    const read = (await app.inject({ method: 'GET', url: `/orders/${orderId}`, headers: buyer })).json();
    expect(read).toMatchObject({ status: 'shipped', trackingReference: '1Z999AA10123456784', refundedCents: 0 });

    const delivered = await act(orderId, 'deliver');
    expect(delivered.statusCode).toBe(200);
    expect(delivered.json()).toMatchObject({ status: 'delivered', refundedCents: 0 });

    const part = await act(orderId, 'refund', admin, { amountCents: 100 });
    expect(part.statusCode, part.body).toBe(202);
    expect(part.json()).toMatchObject({
      status: 'delivered',
      refundedCents: 100,
      refund: { seq: 1, amountCents: 100 },
    });
    const rest = await act(orderId, 'refund', admin, {});
    expect(rest.statusCode).toBe(202);
    expect(rest.json()).toMatchObject({
      status: 'refunded',
      refundedCents: totalCents,
      refund: { seq: 2, amountCents: totalCents - 100 },
    });

    const listed = (await app.inject({ method: 'GET', url: '/orders?limit=5', headers: buyer })).json().data;
    expect(listed.find((order: { id: number }) => order.id === orderId)).toMatchObject({
      status: 'refunded',
      refundedCents: totalCents,
    });
    await waitFor(() => refundsSettled(orderId), 15_000, 'both refunds at the provider');
    const refunds = await refundsFor(orderId);
    expect(
      refunds
        .map((refund) => [refund.idempotencyKey, refund.amountCents])
        .toSorted(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual([
      [`refund-${orderId}-1`, 100],
      [`refund-${orderId}-2`, totalCents - 100],
    ]);
    // One email per (order, template): the second refund's is folded into the first.
    await expectEmails(orderId, ['order-confirmation', 'order-shipped', 'order-refunded']);
    const shippedEmail = sink.messages.find((message) => message.id === email(orderId, 'order-shipped'))!;
    expect(shippedEmail.text).toContain('Tracking reference: 1Z999AA10123456784');
  });

  it('refuses every transition its table does not allow, with a 409 naming the status and the action', async () => {
    const { orderId } = await checkout();
    const refused: string[] = [];
    for (const status of ORDER_STATUSES) {
      await sql.query(`UPDATE orders SET status = $2::"OrderStatus" WHERE id = $1`, [orderId, status]);
      for (const action of Object.keys(ORDER_TRANSITIONS) as OrderAction[]) {
        if (!['cancel', 'ship', 'deliver', 'refund'].includes(action) || allows(action, status)) continue;
        const response = await act(orderId, action, action === 'cancel' ? buyer : admin);
        expect(response.statusCode, `${action} from ${status}`).toBe(409);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json()).toMatchObject({
          type: 'https://store-api.dev/problems/invalid-transition',
          detail: expect.stringContaining(`is ${status}: ${action} applies only`),
        });
        refused.push(`${action}:${status}`);
        expect(await statusOf(orderId)).toBe(status);
      }
    }
    // cancel: 5 statuses refuse, ship 7, deliver 7, refund 5.
    expect(refused).toHaveLength(24);
    await sql.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [orderId]);
  });

  it('customer cancel of a paid order: stock back, one refund of the whole charge at the provider, emails', async () => {
    const before = await stock();
    const { orderId, totalCents } = await checkout();
    expect(await stock()).toBe(before - 2);
    const response = await act(orderId, 'cancel', buyer);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'cancelled',
      refundedCents: totalCents,
      refund: { seq: 1, amountCents: totalCents },
    });
    expect(await stock()).toBe(before);
    // The product's cached view follows the returned stock.
    expect((await app.inject({ method: 'GET', url: `/products/${productId}` })).json().stock).toBe(before);

    const again = await act(orderId, 'cancel', buyer);
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('is cancelled');

    await waitFor(() => refundsSettled(orderId), 15_000, 'the refund at the provider');
    expect((await refundsFor(orderId)).map((refund) => refund.amountCents)).toEqual([totalCents]);
    await expectEmails(orderId, ['order-confirmation', 'order-cancelled', 'order-refunded']);
    const cancelled = sink.messages.find((message) => message.id === email(orderId, 'order-cancelled'))!;
    expect(cancelled.subject).toBe(`Your order #${orderId} is cancelled`);
    expect(cancelled.text).toContain('Refund:');
  });

  it('cancel after shipment is a 409; another customer and an unknown order are 404s', async () => {
    const { orderId } = await checkout();
    expect((await act(orderId, 'cancel', other)).statusCode).toBe(404);
    expect((await act(orderId, 'ship')).statusCode).toBe(200);
    const late = await act(orderId, 'cancel', buyer);
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toBe(
      `Order ${orderId} is shipped: cancel applies only to an order that is pending or payment_pending or paid.`,
    );
    for (const action of ['cancel', 'ship', 'deliver', 'refund'] as const) {
      const missing = await act(2_000_000_000, action, action === 'cancel' ? buyer : admin);
      expect(missing.statusCode, action).toBe(404);
      expect(missing.headers['content-type']).toContain('application/problem+json');
    }
    // Another customer's order reads as absent, not forbidden: nothing about it leaks.
    const foreign = await act(orderId, 'cancel', other);
    expect(foreign.json().detail).toBe(`Order ${orderId} does not exist.`);
  });

  it('partial refunds never sum above the charge: 422 naming what is left, and the provider never sees more', async () => {
    const { orderId, totalCents } = await checkout();
    expect((await act(orderId, 'refund', admin, { amountCents: totalCents - 50 })).statusCode).toBe(202);
    const over = await act(orderId, 'refund', admin, { amountCents: 51 });
    expect(over.statusCode).toBe(422);
    expect(over.json().errors).toEqual([
      { field: 'body.amountCents', message: 'must be at most 50 (charged minus already refunded)' },
    ]);
    // Racing refunds of the rest: the order row serializes them, one wins.
    const racing = await Promise.all([1, 2, 3].map(() => act(orderId, 'refund', admin, { amountCents: 50 })));
    expect(racing.map((response) => response.statusCode).toSorted((a, b) => a - b)).toEqual([202, 409, 409]);
    expect(await statusOf(orderId)).toBe('refunded');
    await waitFor(() => refundsSettled(orderId), 15_000, 'the refunds at the provider');
    const refunds = await refundsFor(orderId);
    expect(refunds.reduce((sum, refund) => sum + refund.amountCents, 0)).toBe(totalCents);
    // The database refuses an over-refund whatever writes it.
    await expect(
      sql.query('UPDATE orders SET refunded_cents = total_cents + 1 WHERE id = $1', [orderId]),
    ).rejects.toThrow(/orders_refunded_cents_check/);
  });

  it('concurrent cancel and ship: exactly one wins, and the other is a 409', async () => {
    for (let round = 0; round < 5; round++) {
      const before = await stock();
      const { orderId } = await checkout();
      const [cancel, ship] = await Promise.all([act(orderId, 'cancel', buyer), act(orderId, 'ship')]);
      expect([cancel.statusCode, ship.statusCode].toSorted((a, b) => a - b)).toEqual([200, 409]);
      const status = await statusOf(orderId);
      expect(status).toBe(cancel.statusCode === 200 ? 'cancelled' : 'shipped');
      // Stock came back only if the cancel won.
      expect(await stock()).toBe(status === 'cancelled' ? before : before - 2);
    }
  });

  it('a charge that completes after the order was cancelled is refunded in full, once', async () => {
    behaviour.latencyMs = 1_500;
    try {
      const before = await stock();
      const { orderId, status } = await checkout(deferred);
      expect(status).toBe('payment_pending');
      await waitFor(
        async () =>
          ((await gateway.inject({ method: 'GET', url: '/in-flight' })).json() as string[]).includes(
            `order-${orderId}`,
          ),
        10_000,
        'the charge to reach the provider',
      );
      const cancel = await act(orderId, 'cancel', buyer);
      expect(cancel.statusCode).toBe(200);
      expect(cancel.json()).toMatchObject({ status: 'cancelled', refundedCents: 0 });
      expect(await stock()).toBe(before);
      // Nothing will be charged with it any more: the sealed token went with the cancel.
      const tokens = await sql.query('SELECT 1 FROM order_payment_tokens WHERE order_id = $1', [orderId]);
      expect(tokens.rowCount).toBe(0);
      await waitFor(async () => (await refundsFor(orderId)).length > 0, 15_000, 'the late charge refunded');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const [charge] = await chargesFor(orderId);
      expect((await refundsFor(orderId)).map((refund) => [refund.chargeId, refund.amountCents])).toEqual([
        [charge.id, charge.amountCents],
      ]);
      expect(await statusOf(orderId)).toBe('cancelled');
      const { rows } = await sql.query('SELECT refunded_cents FROM orders WHERE id = $1', [orderId]);
      expect(rows[0].refunded_cents).toBe(charge.amountCents);
    } finally {
      behaviour.latencyMs = 0;
    }
  });

  it('inline: the owner cancels while the checkout request is charging → that request answers 409 order-cancelled, the charge is refunded', async () => {
    behaviour.latencyMs = 1_500;
    try {
      const key = `lifecycle-inline-race-${process.pid}-${Date.now()}`;
      const placing = app.inject({
        method: 'POST',
        url: '/checkout',
        headers: { ...buyer, 'idempotency-key': key },
        payload: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
      });
      let orderId = 0;
      await waitFor(
        async () => {
          const { rows } = await sql.query('SELECT order_id FROM idempotency_keys WHERE key = $1', [key]);
          orderId = rows[0]?.order_id ?? 0;
          return orderId > 0;
        },
        10_000,
        'the order to be placed',
      );
      expect((await act(orderId, 'cancel', buyer)).statusCode).toBe(200);
      const response = await placing;
      expect(response.statusCode, response.body).toBe(409);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().type).toMatch(/order-cancelled$/);
      await waitFor(async () => (await refundsFor(orderId)).length > 0, 15_000, 'the charge refunded');
      expect(await statusOf(orderId)).toBe('cancelled');
    } finally {
      behaviour.latencyMs = 0;
    }
  });

  it('a refund the provider cannot take now is retried with backoff, and a duplicate job refunds nothing more', async () => {
    const { orderId, totalCents } = await checkout();
    behaviour.failureRate = 1;
    try {
      expect((await act(orderId, 'refund', admin, {})).statusCode).toBe(202);
      await waitFor(
        () => worker!.output().includes(`order ${orderId}: refund 1 deferred`),
        10_000,
        'a failed refund attempt',
      );
      expect(await refundsFor(orderId)).toEqual([]);
    } finally {
      behaviour.failureRate = 0;
    }
    await waitFor(() => refundsSettled(orderId), 15_000, 'the refund retried');
    const config = testConfig();
    const connection = queueConnection(config);
    const refunds = new Queue(REFUNDS_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    try {
      const duplicate = await refunds.add('order-refund', {
        orderId,
        seq: 1,
        amountCents: totalCents,
        outboxId: 'dup',
      });
      await waitFor(async () => (await duplicate.getState()) === 'completed', 10_000, 'the duplicate job');
      expect((await refunds.getJob(duplicate.id!))?.returnvalue).toEqual({ outcome: 'settled' });
    } finally {
      await refunds.close();
      releaseQueueConnection(connection);
    }
    expect((await refundsFor(orderId)).map((refund) => refund.amountCents)).toEqual([totalCents]);
    const { rows } = await sql.query('SELECT status, provider_refund_id FROM order_refunds WHERE order_id = $1', [
      orderId,
    ]);
    expect(rows).toEqual([{ status: 'succeeded', provider_refund_id: expect.stringMatching(/^re_/) }]);
  });

  it('answers bad input with 400 problem+json naming each field', async () => {
    const { orderId } = await checkout();
    const cases: [OrderAction, unknown, string, string][] = [
      ['ship', {}, 'body.trackingReference', 'is required'],
      ['ship', { trackingReference: '   ' }, 'body.trackingReference', 'must not be empty'],
      ['ship', { trackingReference: 'x'.repeat(101) }, 'body.trackingReference', 'must be at most 100 characters'],
      ['ship', { trackingReference: 'a\u0000b' }, 'body.trackingReference', 'must not contain NUL'],
      ['ship', { trackingReference: 'T', carrier: 'x' }, 'body', 'Unrecognized key'],
      ['refund', { amountCents: 0 }, 'body.amountCents', 'must be at least 1'],
      ['refund', { amountCents: 1.5 }, 'body.amountCents', 'must be an integer'],
      ['refund', { amountCents: '10' }, 'body.amountCents', 'must be a number'],
      ['refund', { amountCents: 2 ** 31 }, 'body.amountCents', 'must be at most'],
    ];
    for (const [action, payload, field, message] of cases) {
      const response = await act(orderId, action, admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      const error = (response.json().errors as { field: string; message: string }[]).find(
        (candidate) => candidate.field === field,
      );
      expect(error?.message, JSON.stringify(payload)).toContain(message);
    }
    const badId = await post('/orders/abc/cancel', buyer);
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('params.id');
    expect(await statusOf(orderId)).toBe('paid');
  });
});
