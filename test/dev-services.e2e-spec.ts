import nodemailer from 'nodemailer';
import type { AddressInfo } from 'node:net';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';

describe('local stand-ins for external services', () => {
  describe('fake payment gateway', () => {
    const gateway = createFakeGateway();

    afterAll(async () => {
      await gateway.close();
    });

    const charge = (
      key: string,
      body: object = { orderId: 1, amountCents: 1999, currency: 'USD', token: 'tok_visa' },
    ) =>
      gateway.inject({
        method: 'POST',
        url: '/charges',
        headers: key ? { 'idempotency-key': key } : {},
        payload: body,
      });

    it('charges once per idempotency key, however often it is asked', async () => {
      const first = await charge('order-1');
      expect(first.statusCode).toBe(201);
      const again = await charge('order-1');
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json().id).toBe(first.json().id);
      await gateway.inject({ method: 'POST', url: '/control', payload: { latencyMs: 50 } });
      const concurrent = await Promise.all([charge('order-2'), charge('order-2'), charge('order-2')]);
      await gateway.inject({ method: 'POST', url: '/control', payload: { latencyMs: 0 } });
      expect(concurrent.map((response) => response.statusCode).sort()).toEqual([201, 409, 409]);
      const recorded = (await gateway.inject({ method: 'GET', url: '/charges' })).json();
      expect(recorded.map((row: { idempotencyKey: string }) => row.idempotencyKey).sort()).toEqual([
        'order-1',
        'order-2',
      ]);
    });

    it('refuses requests without a key or with a bad body, and declines a declined card', async () => {
      expect((await charge('')).statusCode).toBe(400);
      expect((await charge('order-3', { orderId: 'x' })).statusCode).toBe(400);
      expect(
        (await charge('order-4', { orderId: 4, amountCents: 1, currency: 'USD', token: 'tok_declined' })).statusCode,
      ).toBe(402);
    });

    it('fails on demand, with latency, and recovers', async () => {
      await gateway.inject({ method: 'POST', url: '/control', payload: { failureRate: 1, latencyMs: 50 } });
      const started = Date.now();
      expect((await charge('order-5')).statusCode).toBe(503);
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      await gateway.inject({ method: 'POST', url: '/control', payload: { failureRate: 0, latencyMs: 0 } });
      expect((await charge('order-5')).statusCode).toBe(201);
    });
  });

  describe('SMTP sink', () => {
    const sink = createSmtpSink();
    let port: number;

    beforeAll(async () => {
      await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
      port = (sink.smtp.server.address() as AddressInfo).port;
    });

    afterAll(async () => {
      await sink.close();
    });

    it('receives a real SMTP message and gives it back', async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      await transport.sendMail({
        from: 'shop@example.com',
        to: 'buyer@example.com',
        subject: 'Order 42 confirmed',
        text: 'Thanks!',
        html: '<p>Thanks!</p>',
      });
      const messages = (await sink.http.inject({ method: 'GET', url: '/messages' })).json();
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({
        to: ['buyer@example.com'],
        subject: 'Order 42 confirmed',
        text: expect.stringContaining('Thanks!'),
        html: '<p>Thanks!</p>',
      });
      await sink.http.inject({ method: 'DELETE', url: '/messages' });
      expect((await sink.http.inject({ method: 'GET', url: '/messages' })).json()).toEqual([]);
    });
  });
});
