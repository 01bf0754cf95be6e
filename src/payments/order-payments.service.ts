import { Injectable, Logger } from '@nestjs/common';
import { CacheService } from '../cache/index.js';
import { Db } from '../database/index.js';
import type { OrderStatus, Prisma } from '../generated/prisma/client.js';
import { productsChanged } from '../products/products.cache.js';
import { PaymentGateway, type ChargeResult } from './payment-gateway.js';

export interface OrderPayment {
  orderId: number;
  userId: number;
  status: OrderStatus;
  totalCents: number;
  currency: string;
}

/** Statuses that still wait for a charge. */
const PAYABLE: ReadonlySet<OrderStatus> = new Set(['pending', 'payment_pending']);

/**
 * An order's payment, for the checkout (inline) and the worker (deferred): one provider key per
 * order (`order-<id>`), so every path and every retry is the same charge; each settlement is a
 * conditional status change from a payable status, so only the first one has effects. Those
 * effects commit with it: stock returned on failure, the pending charge event cancelled, the
 * email event written. Then caches and the user's read position follow.
 */
@Injectable()
export class OrderPayments {
  private readonly logger = new Logger('OrderPayments');

  constructor(
    private readonly db: Db,
    private readonly gateway: PaymentGateway,
    private readonly cache: CacheService,
  ) {}

  /**
   * Charges a payable order once and records the outcome; an order already settled is returned as
   * is. Given as it stands (just placed), the order is not read again.
   */
  async charge(placed: number | OrderPayment, paymentToken: string): Promise<OrderPayment & { result?: ChargeResult }> {
    const order = typeof placed === 'number' ? await this.find(placed) : placed;
    const orderId = order.orderId;
    if (!PAYABLE.has(order.status)) return order;
    const result = await this.gateway.charge({
      orderId,
      amountCents: order.totalCents,
      currency: order.currency,
      token: paymentToken,
      idempotencyKey: `order-${orderId}`,
    });
    if (result.outcome === 'retry-later') return { ...order, status: await this.defer(order), result };
    if (result.outcome === 'declined') this.logger.log(`order ${orderId}: payment declined (${result.reason})`);
    return {
      ...order,
      status: await this.settle(order, result.outcome === 'charged' ? 'paid' : 'payment_failed'),
      result,
    };
  }

  /** The order's payment as it stands, from the primary. */
  status(orderId: number): Promise<OrderPayment> {
    return this.find(orderId);
  }

  /** No more attempts: the order fails, its stock goes back, and the customer is told. */
  async giveUp(orderId: number, reason: string): Promise<OrderStatus> {
    const order = await this.find(orderId);
    this.logger.warn(`order ${orderId}: payment abandoned after the last attempt (${reason})`);
    return this.settle(order, 'payment_failed');
  }

  private async find(orderId: number): Promise<OrderPayment> {
    const [order] = await this.db.primary.$queryRaw<OrderPayment[]>`
      SELECT id AS "orderId", user_id AS "userId", status, total_cents AS "totalCents", currency
      FROM orders WHERE id = ${orderId}`;
    if (!order) throw new Error(`order ${orderId} does not exist`);
    return order;
  }

  /** The provider could not answer: the order waits, and its charge event is due now. */
  private async defer(order: OrderPayment): Promise<OrderStatus> {
    const changed = await this.db.transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE orders SET status = 'payment_pending', updated_at = now() WHERE id = ${order.orderId} AND status = 'pending'`;
      await tx.$executeRaw`
        UPDATE outbox_events SET available_at = now()
        WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${order.orderId}`;
      return updated > 0;
    });
    if (changed) await this.db.rememberWrite(order.userId);
    return 'payment_pending';
  }

  private async settle(order: OrderPayment, status: 'paid' | 'payment_failed'): Promise<OrderStatus> {
    const restocked = await this.db.transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE orders SET status = ${status}::"OrderStatus", updated_at = now()
        WHERE id = ${order.orderId} AND status IN ('pending', 'payment_pending')`;
      if (!updated) return null;
      const products = status === 'payment_failed' ? await this.returnStock(tx, order.orderId) : [];
      await tx.$executeRaw`
        UPDATE outbox_events SET sent_at = now()
        WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${order.orderId}`;
      await tx.outboxEvent.create({
        data: {
          topic: 'email',
          payload: { orderId: order.orderId, template: status === 'paid' ? 'order-confirmation' : 'payment-failed' },
        },
      });
      return products;
    });
    if (restocked === null) return (await this.find(order.orderId)).status;
    // After the commit: a miss right after the invalidation must load the returned stock.
    await productsChanged(this.cache, restocked);
    await this.db.rememberWrite(order.userId);
    return status;
  }

  /** Puts the order's units back; returns the products touched. */
  private async returnStock(tx: Prisma.TransactionClient, orderId: number): Promise<number[]> {
    const products = await tx.$queryRaw<{ id: number }[]>`
      UPDATE products p SET stock = p.stock + oi.quantity, updated_at = now()
      FROM order_items oi WHERE oi.order_id = ${orderId} AND p.id = oi.product_id
      RETURNING p.id`;
    return products.map((product) => product.id);
  }
}
