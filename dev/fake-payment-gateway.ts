/**
 * A local stand-in for the payment provider, over HTTP, for development and tests.
 *
 *   POST /charges   { orderId, amountCents, currency, token }  + Idempotency-Key header (required)
 *                   → 201 { id, orderId, amountCents, currency, status: 'succeeded' }
 *                   The same key again answers the first result and records nothing new, as a
 *                   real provider does; failures (injected) are not remembered, so a retry may pass.
 *   GET  /charges   every recorded charge (what tests count: one per order, never two)
 *   GET  /charges/by-key/:idempotencyKey → 200 the charge made with that key | 404 { error: 'not_found' }
 *                   (reconciliation: what became of a charge whose answer was lost)
 *   GET  /in-flight the idempotency keys of charges being processed right now
 *   POST /refunds   { chargeIdempotencyKey | chargeId, amountCents } + Idempotency-Key header (required)
 *                   → 201 { id, chargeId, orderId, amountCents, currency, status: 'succeeded' }
 *                   The same key again answers the first result; 404 no_such_charge; 422
 *                   amount_exceeds_charge when the charge's refunds would sum above its amount (never
 *                   recorded). Injected latency and failures apply as to charges.
 *   GET  /refunds   every recorded refund (what tests count and sum)
 *   POST /control   { latencyMs?, failureRate?, loseAnswers?, lookupsDown? }  changes the behaviour at run time
 *                   loseAnswers: 'timeout' | 'error' | 'drop' | 'off' — every POST /charges (first or
 *                   replayed) records the charge as usual, then its answer is lost: held until the
 *                   client gives up (timeout), a 503 (error), or the connection destroyed (drop);
 *                   lookupsDown: true → GET /charges/by-key answers 503
 *   GET  /health
 *
 * Env: FAKE_GATEWAY_PORT (4010), FAKE_GATEWAY_HOST (127.0.0.1), FAKE_GATEWAY_LATENCY_MS (0),
 * FAKE_GATEWAY_FAILURE_RATE (0).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';

export interface Charge {
  id: string;
  idempotencyKey: string;
  orderId: number;
  amountCents: number;
  currency: string;
  status: 'succeeded';
  createdAt: string;
}

export interface GatewayBehaviour {
  latencyMs: number;
  failureRate: number;
  /** Charge, then lose the answer (see the header). */
  loseAnswers?: LostAnswer;
  /** GET /charges/by-key answers 503: the provider cannot be asked. */
  lookupsDown?: boolean;
}

export type LostAnswer = 'timeout' | 'error' | 'drop' | 'off';

export function createFakeGateway(behaviour: GatewayBehaviour = { latencyMs: 0, failureRate: 0 }): FastifyInstance {
  const app = Fastify();
  const charges = new Map<string, Charge>();
  const inFlight = new Set<string>();

  app.post<{ Body: { orderId?: unknown; amountCents?: unknown; currency?: unknown; token?: unknown } }>(
    '/charges',
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const { orderId, amountCents, currency, token } = request.body ?? {};
      if (typeof key !== 'string' || !key) return reply.code(400).send({ error: 'idempotency_key_required' });
      if (
        !Number.isInteger(orderId) ||
        !Number.isInteger(amountCents) ||
        typeof currency !== 'string' ||
        typeof token !== 'string'
      ) {
        return reply.code(400).send({ error: 'invalid_request' });
      }
      const existing = charges.get(key);
      if (existing && lost()) return loseAnswer(request, reply);
      if (existing) return reply.code(200).header('idempotent-replayed', 'true').send(existing);
      // Like Stripe: the same key while the first request still runs is a conflict, not a second charge.
      if (inFlight.has(key)) return reply.code(409).send({ error: 'idempotency_key_in_use' });
      inFlight.add(key);
      try {
        if (behaviour.latencyMs) await new Promise((resolve) => setTimeout(resolve, behaviour.latencyMs));
        if (token === 'tok_declined') return reply.code(402).send({ error: 'card_declined' });
        if (Math.random() < behaviour.failureRate) return reply.code(503).send({ error: 'temporarily_unavailable' });
        const charge = record(key, orderId as number, amountCents as number, currency);
        if (lost()) return await loseAnswer(request, reply);
        return reply.code(201).send(charge);
      } finally {
        inFlight.delete(key);
      }
    },
  );

  function record(key: string, orderId: number, amountCents: number, currency: string): Charge {
    const charge: Charge = {
      id: `ch_${randomUUID()}`,
      idempotencyKey: key,
      orderId,
      amountCents,
      currency,
      status: 'succeeded',
      createdAt: new Date().toISOString(),
    };
    charges.set(key, charge);
    return charge;
  }

  registerRefunds(app, charges, behaviour);

  app.get('/charges', async () => [...charges.values()]);

  // Reconciliation: the lookup by key, and answers lost after the charge (behaviour.loseAnswers).
  app.get<{ Params: { key: string } }>('/charges/by-key/:key', async (request, reply) => {
    if (behaviour.lookupsDown) return reply.code(503).send({ error: 'temporarily_unavailable' });
    const charge = charges.get(request.params.key);
    return charge ? charge : reply.code(404).send({ error: 'not_found' });
  });

  const lost = () => (behaviour.loseAnswers ?? 'off') !== 'off';

  async function loseAnswer(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (behaviour.loseAnswers === 'error') return reply.code(503).send({ error: 'temporarily_unavailable' });
    if (behaviour.loseAnswers === 'drop') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    // Held until the client gives up (at most a minute, so a server closing is not held longer).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      request.raw.socket.once('close', () => (clearTimeout(timer), resolve()));
    });
    request.raw.socket.destroy();
    return reply.hijack();
  }
  app.get('/in-flight', async () => [...inFlight]);

  app.post<{ Body: Partial<GatewayBehaviour> }>('/control', async (request) => {
    const { latencyMs, failureRate, loseAnswers, lookupsDown } = request.body ?? {};
    if (typeof lookupsDown === 'boolean') behaviour.lookupsDown = lookupsDown;
    if (loseAnswers && ['timeout', 'error', 'drop', 'off'].includes(loseAnswers)) behaviour.loseAnswers = loseAnswers;
    if (typeof latencyMs === 'number' && latencyMs >= 0) behaviour.latencyMs = latencyMs;
    if (typeof failureRate === 'number' && failureRate >= 0 && failureRate <= 1) behaviour.failureRate = failureRate;
    return behaviour;
  });

  app.get('/health', async () => ({ ok: true }));
  return app;
}

export interface Refund {
  id: string;
  idempotencyKey: string;
  chargeId: string;
  orderId: number;
  amountCents: number;
  currency: string;
  status: 'succeeded';
  createdAt: string;
}

/** POST/GET /refunds: refunds of recorded charges, idempotent per key, never above a charge's amount in total. */
function registerRefunds(app: FastifyInstance, charges: Map<string, Charge>, behaviour: GatewayBehaviour): void {
  const refunds = new Map<string, Refund>();
  const inFlight = new Set<string>();
  app.post<{ Body: { chargeIdempotencyKey?: unknown; chargeId?: unknown; amountCents?: unknown } }>(
    '/refunds',
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const { chargeIdempotencyKey, chargeId, amountCents } = request.body ?? {};
      if (typeof key !== 'string' || !key) return reply.code(400).send({ error: 'idempotency_key_required' });
      if (!Number.isInteger(amountCents) || (amountCents as number) < 1)
        return reply.code(400).send({ error: 'invalid_request' });
      const existing = refunds.get(key);
      if (existing) return reply.code(200).header('idempotent-replayed', 'true').send(existing);
      if (inFlight.has(key)) return reply.code(409).send({ error: 'idempotency_key_in_use' });
      const charge =
        typeof chargeIdempotencyKey === 'string'
          ? charges.get(chargeIdempotencyKey)
          : [...charges.values()].find((candidate) => candidate.id === chargeId);
      if (!charge) return reply.code(404).send({ error: 'no_such_charge' });
      inFlight.add(key);
      try {
        if (behaviour.latencyMs) await new Promise((resolve) => setTimeout(resolve, behaviour.latencyMs));
        if (Math.random() < behaviour.failureRate) return reply.code(503).send({ error: 'temporarily_unavailable' });
        // Checked after the wait, as the refund is recorded: concurrent refunds cannot both pass it.
        const refunded = [...refunds.values()]
          .filter((refund) => refund.chargeId === charge.id)
          .reduce((sum, refund) => sum + refund.amountCents, 0);
        if (refunded + (amountCents as number) > charge.amountCents)
          return reply.code(422).send({ error: 'amount_exceeds_charge' });
        const refund: Refund = {
          id: `re_${randomUUID()}`,
          idempotencyKey: key,
          chargeId: charge.id,
          orderId: charge.orderId,
          amountCents: amountCents as number,
          currency: charge.currency,
          status: 'succeeded',
          createdAt: new Date().toISOString(),
        };
        refunds.set(key, refund);
        return reply.code(201).send(refund);
      } finally {
        inFlight.delete(key);
      }
    },
  );
  app.get('/refunds', async () => [...refunds.values()]);
}

// Run as a process: `tsx dev/fake-payment-gateway.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const app = createFakeGateway({
    latencyMs: Number(process.env.FAKE_GATEWAY_LATENCY_MS ?? 0),
    failureRate: Number(process.env.FAKE_GATEWAY_FAILURE_RATE ?? 0),
  });
  const port = Number(process.env.FAKE_GATEWAY_PORT ?? 4010);
  const host = process.env.FAKE_GATEWAY_HOST ?? '127.0.0.1';
  await app.listen({ port, host });
  console.log(`fake payment gateway on http://${host}:${port}`);
}
