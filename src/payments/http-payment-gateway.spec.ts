import type { FastifyInstance } from 'fastify';
import { createFakeGateway, type GatewayBehaviour } from '../../dev/fake-payment-gateway.js';
import { HttpPaymentGateway } from './http-payment-gateway.js';

describe('HttpPaymentGateway against the local fake provider', () => {
  let provider: FastifyInstance;
  let baseUrl: string;
  const behaviour: GatewayBehaviour = { latencyMs: 0, failureRate: 0 };
  const request = (orderId: number, token = 'tok_visa') => ({
    orderId,
    amountCents: 1000,
    currency: 'USD',
    token,
    idempotencyKey: `order-${orderId}-charge`,
  });

  beforeAll(async () => {
    provider = createFakeGateway(behaviour);
    baseUrl = await provider.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await provider.close();
  });

  it('charges, and a retry with the same key is the same charge', async () => {
    const gateway = new HttpPaymentGateway({ baseUrl });
    const first = await gateway.charge(request(1));
    const again = await gateway.charge(request(1));
    expect(first).toMatchObject({ outcome: 'charged' });
    expect(again).toEqual(first);
    const recorded = (await provider.inject({ method: 'GET', url: '/charges' })).json();
    expect(recorded.filter((charge: { orderId: number }) => charge.orderId === 1)).toHaveLength(1);
  });

  it('refunds a charge once per key, and never above its amount in total', async () => {
    const gateway = new HttpPaymentGateway({ baseUrl });
    await gateway.charge(request(60));
    const refund = (n: number, amountCents: number) =>
      gateway.refund({
        orderId: 60,
        chargeIdempotencyKey: 'order-60-charge',
        amountCents,
        idempotencyKey: `refund-60-${n}`,
      });
    const first = await refund(1, 600);
    expect(first).toMatchObject({ outcome: 'refunded' });
    expect(await refund(1, 600)).toEqual(first);
    expect(await refund(2, 401)).toEqual({ outcome: 'refused', reason: 'amount_exceeds_charge' });
    expect(await refund(3, 400)).toMatchObject({ outcome: 'refunded' });
    const recorded = (await provider.inject({ method: 'GET', url: '/refunds' })).json() as { amountCents: number }[];
    expect(recorded.map((entry) => entry.amountCents)).toEqual([600, 400]);
    expect(
      await gateway.refund({
        orderId: 61,
        chargeIdempotencyKey: 'order-61-charge',
        amountCents: 1,
        idempotencyKey: 'r',
      }),
    ).toEqual({ outcome: 'refused', reason: 'no_such_charge' });
  });

  it('reports a decline as final, without opening the breaker', async () => {
    const gateway = new HttpPaymentGateway({ baseUrl, failureThreshold: 2 });
    for (let i = 0; i < 3; i++)
      expect(await gateway.charge(request(10 + i, 'tok_declined'))).toMatchObject({
        outcome: 'declined',
        reason: 'card_declined',
      });
    expect(gateway.circuit).toBe('closed');
  });

  it('opens after consecutive failures, answers at once while open, and closes when the provider is back', async () => {
    const gateway = new HttpPaymentGateway({ baseUrl, failureThreshold: 3, halfOpenAfterMs: 200, timeoutMs: 500 });
    behaviour.failureRate = 1;
    for (let i = 0; i < 3; i++) expect((await gateway.charge(request(20 + i))).outcome).toBe('retry-later');
    expect(gateway.circuit).toBe('open');
    const started = performance.now();
    expect(await gateway.charge(request(30))).toEqual({ outcome: 'retry-later', reason: 'circuit open' });
    expect(performance.now() - started).toBeLessThan(20);
    behaviour.failureRate = 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await gateway.charge(request(31))).outcome).toBe('charged');
    expect(gateway.circuit).toBe('closed');
  });

  it('times out a slow provider as retry-later', async () => {
    const gateway = new HttpPaymentGateway({ baseUrl, timeoutMs: 100 });
    behaviour.latencyMs = 300;
    try {
      const started = performance.now();
      expect(await gateway.charge(request(40))).toEqual({ outcome: 'retry-later', reason: 'timed out' });
      expect(performance.now() - started).toBeLessThan(250);
    } finally {
      behaviour.latencyMs = 0;
    }
  });

  it('treats an unreachable provider as retry-later', async () => {
    const gateway = new HttpPaymentGateway({ baseUrl: 'http://127.0.0.1:1' });
    expect((await gateway.charge(request(50))).outcome).toBe('retry-later');
  });

  it('looks a charge up by its key: found once charged, not found before, unknown when unreachable', async () => {
    const gateway = new HttpPaymentGateway({ baseUrl });
    expect(await gateway.lookup('order-62-charge')).toEqual({ outcome: 'not-found' });
    const charged = await gateway.charge(request(62));
    expect(await gateway.lookup('order-62-charge')).toEqual({
      outcome: 'found',
      chargeId: (charged as { chargeId: string }).chargeId,
      status: 'succeeded',
    });
    const down = new HttpPaymentGateway({ baseUrl: 'http://127.0.0.1:1' });
    expect((await down.lookup('order-62-charge')).outcome).toBe('unknown');
  });

  it.each(['timeout', 'error', 'drop'] as const)(
    'an answer lost (%s) after the charge is retry-later, and the lookup finds the one charge',
    async (loseAnswers) => {
      const gateway = new HttpPaymentGateway({ baseUrl, timeoutMs: 300 });
      const orderId = { timeout: 70, error: 71, drop: 72 }[loseAnswers];
      behaviour.loseAnswers = loseAnswers;
      try {
        for (let i = 0; i < 2; i++) expect((await gateway.charge(request(orderId))).outcome).toBe('retry-later');
      } finally {
        behaviour.loseAnswers = 'off';
      }
      expect(await gateway.lookup(`order-${orderId}-charge`)).toMatchObject({ outcome: 'found' });
      const recorded = (await provider.inject({ method: 'GET', url: '/charges' })).json();
      expect(recorded.filter((charge: { orderId: number }) => charge.orderId === orderId)).toHaveLength(1);
    },
  );
});
