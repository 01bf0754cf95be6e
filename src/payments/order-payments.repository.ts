import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import type { OrderStatus } from '../generated/prisma/client.js';
import { ProductsRepository } from '../products/products.repository.js';

export interface OrderPayment {
  orderId: number;
  userId: number;
  status: OrderStatus;
  totalCents: number;
  currency: string;
}

/**
 * An order's payment state: every change a conditional status change from a payable status, with
 * its effects in the same transaction (the charge event, the email event, stock returned through
 * the products repository).
 */
@Injectable()
export class OrderPaymentsRepository {
  constructor(
    private readonly db: Db,
    private readonly products: ProductsRepository,
  ) {}

  /** From the primary. */
  async find(orderId: number): Promise<OrderPayment | undefined> {
    const [order] = await this.db.primary.$queryRaw<OrderPayment[]>`
      SELECT id AS "orderId", user_id AS "userId", status, total_cents AS "totalCents", currency
      FROM orders WHERE id = ${orderId}`;
    return order;
  }

  /** `pending` → `payment_pending`, its charge event due now. False when the order was not pending. */
  defer(orderId: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE orders SET status = 'payment_pending', updated_at = now() WHERE id = ${orderId} AND status = 'pending'`;
      await tx.$executeRaw`
        UPDATE outbox_events SET available_at = now()
        WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${orderId}`;
      return updated > 0;
    });
  }

  /**
   * Settles a payable order: its status, stock returned on failure, the pending charge event
   * closed, the email event written. Returns the products restocked, `null` when the order was
   * settled already.
   */
  settle(orderId: number, status: 'paid' | 'payment_failed'): Promise<number[] | null> {
    return this.db.transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE orders SET status = ${status}::"OrderStatus", updated_at = now()
        WHERE id = ${orderId} AND status IN ('pending', 'payment_pending')`;
      if (!updated) return null;
      const products = status === 'payment_failed' ? await this.products.returnStock(tx, orderId) : [];
      await tx.$executeRaw`
        UPDATE outbox_events SET sent_at = now()
        WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${orderId}`;
      await tx.outboxEvent.create({
        data: {
          topic: 'email',
          payload: { orderId, template: status === 'paid' ? 'order-confirmation' : 'payment-failed' },
        },
      });
      return products;
    });
  }

  /** Remembers the user's last write so their next reads see it (any instance). */
  async rememberWrite(userId: number): Promise<void> {
    await this.db.rememberWrite(userId);
  }
}
