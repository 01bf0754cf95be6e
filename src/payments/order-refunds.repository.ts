import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { currentTraceparent } from '../tracing/trace-context.js';

export interface OrderRefund {
  orderId: number;
  userId: number;
  seq: number;
  amountCents: number;
  status: 'pending' | 'succeeded' | 'failed';
}

/**
 * The SQL of refunds at the provider (the worker's side; the lifecycle's statements record them).
 * Each outcome is one conditional statement on the pending refund row, so a duplicate job that
 * finds it settled changes nothing and writes no second email event.
 */
@Injectable()
export class OrderRefundsRepository {
  constructor(private readonly db: Db) {}

  async find(orderId: number, seq: number): Promise<OrderRefund | undefined> {
    const [refund] = await this.db.primary.$queryRaw<OrderRefund[]>`
      SELECT r.order_id AS "orderId", o.user_id AS "userId", r.seq, r.amount_cents AS "amountCents", r.status
      FROM order_refunds r JOIN orders o ON o.id = r.order_id
      WHERE r.order_id = ${orderId} AND r.seq = ${seq}`;
    return refund;
  }

  /** The provider refunded: recorded, and the customer's order-refunded email event written; true if this call did it. */
  async succeeded(orderId: number, seq: number, providerRefundId: string): Promise<boolean> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<{ done: boolean }[]>`
      WITH done AS (
        UPDATE order_refunds SET status = 'succeeded', provider_refund_id = ${providerRefundId}, completed_at = now()
        WHERE order_id = ${orderId} AND seq = ${seq} AND status = 'pending'
        RETURNING order_id
      ),
      email AS (
        INSERT INTO outbox_events (topic, payload, traceparent)
        SELECT 'email', jsonb_build_object('orderId', order_id, 'template', 'order-refunded'), ${currentTraceparent()}::text
        FROM done
      )
      SELECT EXISTS (SELECT 1 FROM done) AS done`,
    );
    return row.done;
  }

  /**
   * The provider refused, or every attempt failed: the refund stays on record as failed for an
   * operator (the order's refunded_cents still counts it; its key makes a manual retry safe).
   */
  async failed(orderId: number, seq: number): Promise<boolean> {
    const changed = await this.db.write(
      (primary) => primary.$executeRaw`
      UPDATE order_refunds SET status = 'failed', completed_at = now()
      WHERE order_id = ${orderId} AND seq = ${seq} AND status = 'pending'`,
    );
    return changed > 0;
  }

  /** Remembers the user's last write so their next reads see it (any instance). */
  async rememberWrite(userId: number): Promise<void> {
    await this.db.rememberWrite(userId);
  }
}
