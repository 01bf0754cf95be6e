import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { ConflictProblem, ProblemException, UnprocessableProblem } from '../common/http/index.js';
import { AppConfig } from '../config/index.js';
import { OrderPayments, type OrderPayment } from '../payments/order-payments.service.js';
import { ProductsCache } from '../products/products.cache.js';
import { CheckoutRepository, type OrderLine } from './checkout.repository.js';
import type { CheckoutBody } from './checkout.schemas.js';
import { IdempotencyStore, type StoredResponse } from './idempotency.store.js';

export interface CheckoutResult extends StoredResponse {
  /** The stored response of an earlier request with this key. */
  replayed: boolean;
}

/** Keys found free again (pruned, or taken over from a dead holder) are placed again at most this often. */
const MAX_PLACEMENTS = 3;

/**
 * POST /checkout. One statement on the primary claims the idempotency key, takes the stock (never
 * negative, never oversold), creates the order at the prices read under the row locks, and writes
 * a "charge" outbox event (due later as a safety net, or now in deferred mode). Deferred mode
 * answers 202 from it (the answer is stored with the key in the same statement) and the worker
 * charges. Inline mode then makes one charge attempt behind the breaker: charged → 201, declined →
 * 402 (stock returned), provider unavailable → 202 `payment_pending` with the charge event due now.
 * The provider gets one idempotency key per order, so no path can charge twice.
 */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly orders: CheckoutRepository,
    private readonly keys: IdempotencyStore,
    private readonly payments: OrderPayments,
    private readonly products: ProductsCache,
    private readonly config: AppConfig,
  ) {}

  async checkout(user: AuthUser, key: string, body: CheckoutBody): Promise<CheckoutResult> {
    const requestHash = IdempotencyStore.hash(body);
    for (let attempt = 1; attempt <= MAX_PLACEMENTS; attempt++) {
      const placement = await this.orders.place({
        userId: user.id,
        key,
        requestHash,
        items: body.items,
        paymentToken: body.paymentToken,
        deferred: this.deferred,
        chargeAfterMs: this.deferred ? 0 : this.config.CHECKOUT_SAFETY_CHARGE_AFTER_MS,
        lockMs: this.config.IDEMPOTENCY_LOCK_MS,
      });
      if (placement.kind === 'placed') return this.placed(user.id, key, body, placement);
      if (placement.kind === 'refused') await this.refuse(user.id, key, requestHash, placement.lines);
      // The key is taken: it decides.
      const state = await this.keys.inspect(user.id, key, requestHash);
      if (state.kind === 'mismatch')
        throw new UnprocessableProblem('This Idempotency-Key was used with a different request body.');
      if (state.kind === 'in-progress') break;
      if (state.kind === 'replay') return { ...state.response, replayed: true };
      if (state.kind === 'resume') return this.pay(user.id, key, state.orderId, body.paymentToken);
    }
    throw new ConflictProblem('A request with this Idempotency-Key is still in progress; retry later.');
  }

  private get deferred(): boolean {
    return this.config.CHECKOUT_CHARGE_MODE === 'deferred';
  }

  private async placed(
    userId: number,
    key: string,
    body: CheckoutBody,
    { orderId, totalCents, currency }: { orderId: number; totalCents: number; currency: string },
  ): Promise<CheckoutResult> {
    // Read after the commit: a replica at this position shows the order (one read, shared with the
    // response's consistency token).
    const position = await this.orders.committedPosition().catch(() => undefined);
    await this.products.changed(
      body.items.map((item) => item.productId),
      { position },
    );
    // Deferred: the 202 stored with the key is this.
    if (this.deferred)
      return { status: 202, body: { orderId, status: 'payment_pending', totalCents, currency }, replayed: false };
    return this.pay(userId, key, { orderId, userId, status: 'pending', totalCents, currency }, body.paymentToken);
  }

  /** Like Stripe: once it ran, even a refusal is the answer for this key — unless the key is taken (then it decides). */
  private async refuse(userId: number, key: string, requestHash: string, lines: readonly OrderLine[]): Promise<void> {
    const problem = refusal(lines);
    const response = { status: problem.getStatus(), body: problem.toProblem() };
    if (await this.keys.refuse(userId, key, requestHash, response)) throw problem;
  }

  /**
   * Inline mode: one charge attempt now (a no-op for a settled order). Deferred mode: the order as
   * it stands. Then its answer is the key's. `order`: its id, or the order as just placed.
   */
  private async pay(
    userId: number,
    key: string,
    order: number | OrderPayment,
    paymentToken: string,
  ): Promise<CheckoutResult> {
    const payment = !this.deferred
      ? await this.payments.charge(order, paymentToken)
      : typeof order === 'number'
        ? await this.payments.status(order)
        : order;
    const response = answer(payment);
    await this.keys.complete(userId, key, response);
    return { ...response, replayed: false };
  }
}

/** Why an order cannot be placed: the first item that fails, in ascending id (as the rows were locked), else currencies. */
function refusal(lines: readonly OrderLine[]): ProblemException {
  for (const { productId, quantity, status, stock } of lines) {
    if (status !== 'active') {
      return new UnprocessableProblem(`Product ${productId} cannot be bought.`, [
        { field: 'body.items', message: `product ${productId} does not exist or is archived` },
      ]);
    }
    if (stock! < quantity)
      return new ConflictProblem(`Only ${stock} unit(s) of product ${productId} left; ${quantity} asked.`);
  }
  return new UnprocessableProblem('All items of one order must have the same currency.');
}

function answer({ orderId, status, totalCents, currency }: OrderPayment): StoredResponse {
  // An order not yet tried is shown as payment_pending: the worker settles it.
  const shown = status === 'pending' ? 'payment_pending' : status;
  const body = { orderId, status: shown, totalCents, currency };
  if (status === 'paid') return { status: 201, body };
  if (status !== 'payment_failed') return { status: 202, body };
  return {
    status: 402,
    body: {
      ...new ProblemException(402, 'payment-declined', 'The payment was declined; the order is cancelled.').toProblem(),
      order: body,
    },
  };
}
