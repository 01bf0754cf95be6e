import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { CacheService } from '../cache/index.js';
import { ConflictProblem, ProblemException, UnprocessableProblem } from '../common/http/index.js';
import { AppConfig } from '../config/index.js';
import { Db } from '../database/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import { OrderPayments, type OrderPayment } from '../payments/order-payments.service.js';
import { productsChanged } from '../products/products.cache.js';
import type { CheckoutBody } from './checkout.schemas.js';
import { IdempotencyStore, type StoredResponse } from './idempotency.store.js';

export interface CheckoutResult extends StoredResponse {
  /** The stored response of an earlier request with this key. */
  replayed: boolean;
}

interface OrderLine {
  productId: number;
  quantity: number;
  unitPriceCents: number;
  currency: string;
}

/**
 * POST /checkout. One primary transaction takes the stock (conditional updates: never negative,
 * never oversold), creates the order at the prices read in it, and writes a "charge" outbox event
 * (due later as a safety net, or now in deferred mode). Inline mode then makes one charge attempt
 * behind the breaker: charged → 201, declined → 402 (stock returned), provider unavailable → 202
 * `payment_pending` with the charge event due now. Deferred mode answers 202 at once and the
 * worker charges. The provider gets one idempotency key per order, so no path can charge twice.
 */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly db: Db,
    private readonly keys: IdempotencyStore,
    private readonly payments: OrderPayments,
    private readonly cache: CacheService,
    private readonly config: AppConfig,
  ) {}

  async checkout(user: AuthUser, key: string, body: CheckoutBody): Promise<CheckoutResult> {
    const claim = await this.keys.claim(user.id, key, IdempotencyStore.hash(body));
    if (claim.kind === 'mismatch')
      throw new UnprocessableProblem('This Idempotency-Key was used with a different request body.');
    if (claim.kind === 'in-progress')
      throw new ConflictProblem('A request with this Idempotency-Key is still in progress; retry later.');
    if (claim.kind === 'replay') return { ...claim.response, replayed: true };

    let orderId = claim.kind === 'resume' ? claim.orderId : null;
    if (orderId === null) {
      try {
        orderId = await this.placeOrder(user.id, key, body);
      } catch (error) {
        if (!(error instanceof ProblemException)) {
          await this.keys.release(user.id, key); // nothing was written: a retry may run again
          throw error;
        }
        // Like Stripe: once it ran, even a refusal is the answer for this key.
        await this.keys.complete(user.id, key, { status: error.getStatus(), body: error.toProblem() });
        throw error;
      }
    }
    const response = await this.pay(orderId, body.paymentToken);
    await this.keys.complete(user.id, key, response);
    return { ...response, replayed: false };
  }

  private async placeOrder(userId: number, key: string, body: CheckoutBody): Promise<number> {
    const deferred = this.config.CHECKOUT_CHARGE_MODE === 'deferred';
    const orderId = await this.db.transaction(async (tx) => {
      const lines: OrderLine[] = [];
      // Ascending ids: concurrent checkouts lock rows in the same order, so they cannot deadlock.
      for (const { productId, quantity } of [...body.items].sort((a, b) => a.productId - b.productId)) {
        lines.push(await this.take(tx, productId, quantity));
      }
      const currency = lines[0].currency;
      if (lines.some((line) => line.currency !== currency))
        throw new UnprocessableProblem('All items of one order must have the same currency.');
      const order = await tx.order.create({
        data: {
          userId,
          status: deferred ? 'payment_pending' : 'pending',
          currency,
          totalCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
          items: {
            create: lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
          },
        },
        select: { id: true },
      });
      // Inline: a safety net, due only if the inline charge never settles (a crash mid-request).
      // Deferred: the charge itself, due now.
      await tx.outboxEvent.create({
        data: {
          topic: 'charge',
          payload: { orderId: order.id, paymentToken: body.paymentToken },
          availableAt: new Date(Date.now() + (deferred ? 0 : this.config.CHECKOUT_SAFETY_CHARGE_AFTER_MS)),
        },
      });
      await tx.$executeRaw`UPDATE idempotency_keys SET order_id = ${order.id} WHERE user_id = ${userId} AND key = ${key}`;
      return order.id;
    });
    await productsChanged(
      this.cache,
      body.items.map((item) => item.productId),
    );
    return orderId;
  }

  /** Takes `quantity` units if there are that many, at the price read under the row lock. */
  private async take(tx: Prisma.TransactionClient, productId: number, quantity: number): Promise<OrderLine> {
    const [taken] = await tx.$queryRaw<{ priceCents: number; currency: string }[]>`
      UPDATE products SET stock = stock - ${quantity}, updated_at = now()
      WHERE id = ${productId} AND status = 'active' AND stock >= ${quantity}
      RETURNING price_cents AS "priceCents", currency`;
    if (taken) return { productId, quantity, unitPriceCents: taken.priceCents, currency: taken.currency };
    const [product] = await tx.$queryRaw<
      { status: string; stock: number }[]
    >`SELECT status::text, stock FROM products WHERE id = ${productId}`;
    if (!product || product.status !== 'active') {
      throw new UnprocessableProblem(`Product ${productId} cannot be bought.`, [
        { field: 'body.items', message: `product ${productId} does not exist or is archived` },
      ]);
    }
    throw new ConflictProblem(`Only ${product.stock} unit(s) of product ${productId} left; ${quantity} asked.`);
  }

  /** Inline mode: one charge attempt now (a no-op for a settled order). Deferred mode: the order as it stands. */
  private async pay(orderId: number, paymentToken: string): Promise<StoredResponse> {
    const order =
      this.config.CHECKOUT_CHARGE_MODE === 'inline'
        ? await this.payments.charge(orderId, paymentToken)
        : await this.payments.status(orderId);
    return this.answer(order);
  }

  private answer({ orderId, status, totalCents, currency }: OrderPayment): StoredResponse {
    // An order not yet tried is shown as payment_pending: the worker settles it.
    const shown = status === 'pending' ? 'payment_pending' : status;
    const body = { orderId, status: shown, totalCents, currency };
    if (status === 'paid') return { status: 201, body };
    if (status !== 'payment_failed') return { status: 202, body };
    return {
      status: 402,
      body: {
        ...new ProblemException(
          402,
          'payment-declined',
          'The payment was declined; the order is cancelled.',
        ).toProblem(),
        order: body,
      },
    };
  }
}
