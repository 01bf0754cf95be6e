import { Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { CacheService } from '../cache/index.js';
import { ConflictProblem, ProblemException, UnprocessableProblem } from '../common/http/index.js';
import { AppConfig } from '../config/index.js';
import { Db } from '../database/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import { PaymentGateway, type ChargeResult } from '../payments/payment-gateway.js';
import { productTag } from '../products/products.service.js';
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
 * due later as a safety net. Then one charge attempt, inline, behind the breaker: charged → 201,
 * declined → 402 (stock returned), provider unavailable → 202 `payment_pending` with the charge
 * event due now. The provider gets one idempotency key per order, so no path can charge twice.
 */
@Injectable()
export class CheckoutService {
  private readonly logger = new Logger('Checkout');

  constructor(
    private readonly db: Db,
    private readonly keys: IdempotencyStore,
    private readonly gateway: PaymentGateway,
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
          status: 'pending',
          currency,
          totalCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
          items: {
            create: lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
          },
        },
        select: { id: true },
      });
      await tx.outboxEvent.create({
        data: {
          topic: 'charge',
          payload: { orderId: order.id },
          availableAt: new Date(Date.now() + this.config.CHECKOUT_SAFETY_CHARGE_AFTER_MS),
        },
      });
      await tx.$executeRaw`UPDATE idempotency_keys SET order_id = ${order.id} WHERE user_id = ${userId} AND key = ${key}`;
      return order.id;
    });
    await this.cache.invalidateTags(body.items.map((item) => productTag(item.productId)));
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

  private async pay(orderId: number, token: string): Promise<StoredResponse> {
    const [order] = await this.db.primary.$queryRaw<{ status: string; totalCents: number; currency: string }[]>`
      SELECT status::text, total_cents AS "totalCents", currency FROM orders WHERE id = ${orderId}`;
    if (order.status !== 'pending')
      return this.answer(
        orderId,
        order,
        order.status === 'paid' ? 'charged' : order.status === 'payment_failed' ? 'declined' : 'pending',
      );
    const result = await this.gateway.charge({
      orderId,
      amountCents: order.totalCents,
      currency: order.currency,
      token,
      idempotencyKey: `order-${orderId}`,
    });
    await this.record(orderId, result);
    return this.answer(
      orderId,
      order,
      result.outcome === 'charged' ? 'charged' : result.outcome === 'declined' ? 'declined' : 'pending',
    );
  }

  /** The charge's outcome, in one transaction with the side effects it calls for. */
  private async record(orderId: number, result: ChargeResult): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (result.outcome === 'retry-later') {
        await tx.$executeRaw`UPDATE orders SET status = 'payment_pending', updated_at = now() WHERE id = ${orderId} AND status = 'pending'`;
        await tx.$executeRaw`UPDATE outbox_events SET available_at = now() WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${orderId}`;
        return;
      }
      const status = result.outcome === 'charged' ? 'paid' : 'payment_failed';
      const updated =
        await tx.$executeRaw`UPDATE orders SET status = ${status}::"OrderStatus", updated_at = now() WHERE id = ${orderId} AND status = 'pending'`;
      if (!updated) return;
      if (result.outcome === 'declined') {
        await tx.$executeRaw`UPDATE products p SET stock = p.stock + oi.quantity, updated_at = now() FROM order_items oi WHERE oi.order_id = ${orderId} AND p.id = oi.product_id`;
      }
      // The safety-net charge is no longer needed; the email goes out through the outbox.
      await tx.$executeRaw`UPDATE outbox_events SET sent_at = now() WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${orderId}`;
      await tx.outboxEvent.create({
        data: {
          topic: 'email',
          payload: { orderId, template: result.outcome === 'charged' ? 'order-confirmation' : 'payment-failed' },
        },
      });
    });
    if (result.outcome === 'declined') this.logger.log(`order ${orderId}: payment declined (${result.reason})`);
  }

  private answer(
    orderId: number,
    order: { totalCents: number; currency: string },
    payment: 'charged' | 'declined' | 'pending',
  ): StoredResponse {
    const status = { charged: 'paid', declined: 'payment_failed', pending: 'payment_pending' }[payment];
    const body = { orderId, status, totalCents: order.totalCents, currency: order.currency };
    if (payment === 'charged') return { status: 201, body };
    if (payment === 'pending') return { status: 202, body };
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
