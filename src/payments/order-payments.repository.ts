import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma, type OrderStatus } from '../generated/prisma/client.js';
import { currentTraceparent } from '../tracing/trace-context.js';
import { chargeWithdrawn, refundsRequested, stockReturned } from '../orders/order-effects.sql.js';
import { fromStatusesSql, toStatusSql } from '../orders/order-lifecycle.js';

export interface OrderPayment {
  orderId: number;
  userId: number;
  status: OrderStatus;
  totalCents: number;
  currency: string;
}

/**
 * The SQL of an order's payment. Each change is one statement (an implicit transaction, like
 * checkout's): a conditional status change from a payable status, and in the same statement what
 * follows from it, so a worker pays one round trip per change instead of BEGIN, three or four
 * statements and COMMIT. Sub-statements share one snapshot; each one that must happen only with the
 * status change reads the CTE that made it, so a settlement that lost the race changes nothing.
 * Returned stock is written here, in the settlement, as checkout's placing statement takes it:
 * going through the products repository would split the statement and add round trips.
 */
@Injectable()
export class OrderPaymentsRepository {
  constructor(private readonly db: Db) {}

  /** The order's payment as it stands, from the primary. */
  async find(orderId: number): Promise<OrderPayment | undefined> {
    const [order] = await this.db.primary.$queryRaw<OrderPayment[]>`
      SELECT id AS "orderId", user_id AS "userId", status, total_cents AS "totalCents", currency
      FROM orders WHERE id = ${orderId}`;
    return order;
  }

  /** As `find`, with the order's sealed payment token (null once erased, or never stored). */
  async findForCharge(orderId: number): Promise<(OrderPayment & { sealedToken: string | null }) | undefined> {
    const [order] = await this.db.primary.$queryRaw<(OrderPayment & { sealedToken: string | null })[]>`
      SELECT o.id AS "orderId", o.user_id AS "userId", o.status, o.total_cents AS "totalCents", o.currency,
             t.ciphertext AS "sealedToken"
      FROM orders o LEFT JOIN order_payment_tokens t ON t.order_id = o.id
      WHERE o.id = ${orderId}`;
    return order;
  }

  /** pending → payment_pending, and the charge event due now; true if the status changed. */
  async defer(orderId: number): Promise<boolean> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<{ changed: boolean }[]>`
      WITH deferred AS (
        UPDATE orders SET status = ${toStatusSql('defer')}, updated_at = now()
        WHERE id = ${orderId} AND ${fromStatusesSql('defer')}
        RETURNING id
      ),
      due AS (
        UPDATE outbox_events SET available_at = now()
        WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${orderId}
      )
      SELECT EXISTS (SELECT 1 FROM deferred) AS changed`,
    );
    return row.changed;
  }

  /**
   * A payable order becomes `status`; with it, its charge is withdrawn (the pending event closed,
   * the sealed token erased), the email event written, and on failure its units go back (see
   * `stockReturned`). Returns the products restocked, `null` when another path settled the order first.
   */
  async settle(orderId: number, status: 'paid' | 'payment_failed'): Promise<number[] | null> {
    const template = status === 'paid' ? 'order-confirmation' : 'payment-failed';
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<{ settled: boolean; restocked: number[] }[]>`
      WITH settled AS (
        UPDATE orders SET status = ${toStatusSql(status === 'paid' ? 'pay' : 'fail')}, updated_at = now()
        WHERE id = ${orderId} AND ${fromStatusesSql(status === 'paid' ? 'pay' : 'fail')}
        RETURNING id
      ),
      ${stockReturned('settled', Prisma.sql`${status}::text = 'payment_failed'`)},
      ${chargeWithdrawn(orderId, 'settled')},
      email AS (
        INSERT INTO outbox_events (topic, payload, traceparent)
        SELECT 'email', jsonb_build_object('orderId', settled.id, 'template', ${template}::text),
               ${currentTraceparent()}::text
        FROM settled
      )
      SELECT EXISTS (SELECT 1 FROM settled) AS settled,
             coalesce((SELECT array_agg(id ORDER BY id) FROM restocked), '{}') AS restocked`,
    );
    return row.settled ? row.restocked : null;
  }

  /**
   * A charge that succeeded after its order was cancelled (it was in flight when the customer
   * cancelled, so cancel had nothing to refund): its full amount is refunded, once — the order
   * then counts it refunded, so a replayed charge settles nothing more. True if this call did it.
   */
  async refundLateCharge(orderId: number): Promise<boolean> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<{ refunded: boolean }[]>`
      WITH late AS (
        UPDATE orders SET refunded_cents = total_cents, refund_count = refund_count + 1, updated_at = now()
        WHERE id = ${orderId} AND status = 'cancelled' AND refunded_cents = 0 AND total_cents > 0
        RETURNING id, refund_count AS seq, total_cents
      ),
      ${refundsRequested(Prisma.sql`SELECT id, seq, total_cents, 'late-charge' FROM late`)}
      SELECT EXISTS (SELECT 1 FROM late) AS refunded`,
    );
    return row.refunded;
  }

  /** Remembers the user's last write so their next reads see it (any instance). */
  async rememberWrite(userId: number): Promise<void> {
    await this.db.rememberWrite(userId);
  }
}
