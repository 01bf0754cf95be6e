import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import { currentTraceparent } from '../tracing/trace-context.js';
import { chargeWithdrawn, refundsRequested, stockReturned } from './order-effects.sql.js';
import { fromStatusesSql, toStatusSql } from './order-lifecycle.js';

/** An order's lifecycle state: what the transition routes answer. */
export interface OrderStateRow {
  id: number;
  userId: number;
  status: string;
  totalCents: number;
  refundedCents: number;
  currency: string;
  trackingReference: string | null;
}

/** A transition's outcome: the order as it now stands (`null`: no such order of the caller's). */
export interface TransitionRow {
  order: OrderStateRow | null;
  changed: boolean;
}

export interface CancelRow extends TransitionRow {
  restocked: number[];
  refund: { seq: number; amountCents: number } | null;
}

export interface RefundRow extends TransitionRow {
  refund: { seq: number; amountCents: number } | null;
}

/**
 * The order row locked (`FOR UPDATE`), so the statement's guard reads its latest committed
 * status: a racing transition either commits first (and this one sees it and changes nothing)
 * or waits for this one. `userId`: only the caller's own order (another's reads as absent).
 */
const lockedOrder = (orderId: number, userId?: number) => Prisma.sql`
  current AS MATERIALIZED (
    SELECT id, user_id, status, total_cents, refunded_cents, currency, tracking_reference
    FROM orders
    WHERE id = ${orderId} ${userId === undefined ? Prisma.empty : Prisma.sql`AND user_id = ${userId}`}
    FOR UPDATE
  )`;

const STATE_COLUMNS = 'id, user_id, status, total_cents, refunded_cents, currency, tracking_reference';

/** The order's state after the statement: the changed row if it changed, else as it was. */
const stateOf = (changed: string) => Prisma.sql`
  json_build_object('id', s.id, 'userId', s.user_id, 'status', s.status, 'totalCents', s.total_cents,
    'refundedCents', s.refunded_cents, 'currency', s.currency, 'trackingReference', s.tracking_reference)
  FROM (SELECT ${Prisma.raw(STATE_COLUMNS)} FROM ${Prisma.raw(changed)}
        UNION ALL
        SELECT ${Prisma.raw(STATE_COLUMNS)} FROM current WHERE NOT EXISTS (SELECT 1 FROM ${Prisma.raw(changed)})) s`;

const ORDER_COLUMNS = Prisma.sql`o.id, o.user_id, o.status, o.total_cents, o.refunded_cents, o.currency, o.tracking_reference`;

/** An order event for the outbox (the worker's job continues the caller's trace). */
const emailEvent = (template: string, from: string) => Prisma.sql`
  INSERT INTO outbox_events (topic, payload, traceparent)
  SELECT 'email', jsonb_build_object('orderId', id, 'template', ${template}::text), ${currentTraceparent()}::text
  FROM ${Prisma.raw(from)}`;

/**
 * The SQL of the order lifecycle's customer and admin transitions, each one statement (data-
 * modifying CTEs, like checkout's and settlement's): the guarded status change and everything
 * that follows from it (stock back, refund row and its outbox event, email event) commit together
 * or not at all. The guards come from `ORDER_TRANSITIONS`.
 */
@Injectable()
export class OrderLifecycleRepository {
  constructor(private readonly db: Db) {}

  /**
   * Cancels the order (the customer's own when `userId` is given) before shipment: stock back
   * (products locked in id order, as checkout and settlement lock them), its pending charge event
   * closed and its sealed payment token erased (a charge already running settles nothing and is
   * refunded: see `OrderPayments`), and when it was paid, a refund of what was charged and not yet refunded.
   */
  async cancel(orderId: number, userId?: number): Promise<CancelRow> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<CancelRow[]>`
      WITH ${lockedOrder(orderId, userId)},
      cancelled AS (
        UPDATE orders o SET status = ${toStatusSql('cancel')}, updated_at = now(),
          refunded_cents = CASE WHEN c.status = 'paid' THEN c.total_cents ELSE o.refunded_cents END,
          refund_count = o.refund_count + (c.status = 'paid' AND c.total_cents > c.refunded_cents)::int
        FROM current c
        WHERE o.id = c.id AND ${fromStatusesSql('cancel', Prisma.sql`c.status`)}
        RETURNING ${ORDER_COLUMNS}, o.refund_count AS seq,
          CASE WHEN c.status = 'paid' THEN c.total_cents - c.refunded_cents ELSE 0 END AS refund_cents
      ),
      ${stockReturned('cancelled')},
      ${chargeWithdrawn(orderId, 'cancelled')},
      ${refundsRequested(Prisma.sql`SELECT id, seq, refund_cents, 'cancel' FROM cancelled WHERE refund_cents > 0`)},
      email AS (${emailEvent('order-cancelled', 'cancelled')})
      SELECT (SELECT ${stateOf('cancelled')}) AS "order",
             EXISTS (SELECT 1 FROM cancelled) AS changed,
             coalesce((SELECT array_agg(id ORDER BY id) FROM restocked), '{}') AS restocked,
             (SELECT json_build_object('seq', seq, 'amountCents', amount_cents) FROM refund) AS refund`,
    );
    return row;
  }

  /** paid → shipped, with the carrier's tracking reference; the customer is emailed. */
  async ship(orderId: number, trackingReference: string): Promise<TransitionRow> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<TransitionRow[]>`
      WITH ${lockedOrder(orderId)},
      changed AS (
        UPDATE orders o SET status = ${toStatusSql('ship')}, tracking_reference = ${trackingReference}, shipped_at = now(),
          updated_at = now()
        FROM current c
        WHERE o.id = c.id AND ${fromStatusesSql('ship', Prisma.sql`c.status`)}
        RETURNING ${ORDER_COLUMNS}
      ),
      email AS (${emailEvent('order-shipped', 'changed')})
      SELECT (SELECT ${stateOf('changed')}) AS "order", EXISTS (SELECT 1 FROM changed) AS changed`,
    );
    return row;
  }

  /** shipped → delivered. */
  async deliver(orderId: number): Promise<TransitionRow> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<TransitionRow[]>`
      WITH ${lockedOrder(orderId)},
      changed AS (
        UPDATE orders o SET status = ${toStatusSql('deliver')}, delivered_at = now(), updated_at = now()
        FROM current c
        WHERE o.id = c.id AND ${fromStatusesSql('deliver', Prisma.sql`c.status`)}
        RETURNING ${ORDER_COLUMNS}
      )
      SELECT (SELECT ${stateOf('changed')}) AS "order", EXISTS (SELECT 1 FROM changed) AS changed`,
    );
    return row;
  }

  /**
   * Refunds `amountCents` (default: all that is left) of a paid, shipped or delivered order, never
   * more than charged minus already refunded (checked here and by `orders_refunded_cents_check`);
   * refunding the rest makes it `refunded`. The refund is numbered (its provider key), and its
   * outbox event asks the worker to refund at the provider.
   */
  async refund(orderId: number, amountCents: number | undefined): Promise<RefundRow> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<RefundRow[]>`
      WITH ${lockedOrder(orderId)},
      wanted AS (
        SELECT id, coalesce(${amountCents ?? null}::int, total_cents - refunded_cents) AS amount FROM current
      ),
      changed AS (
        UPDATE orders o SET refunded_cents = o.refunded_cents + w.amount, refund_count = o.refund_count + 1,
          status = CASE WHEN o.refunded_cents + w.amount = o.total_cents THEN ${toStatusSql('refund')} ELSE o.status END,
          updated_at = now()
        FROM current c JOIN wanted w ON w.id = c.id
        WHERE o.id = c.id AND ${fromStatusesSql('refund', Prisma.sql`c.status`)}
          AND w.amount > 0 AND c.refunded_cents + w.amount <= c.total_cents
        RETURNING ${ORDER_COLUMNS}, o.refund_count AS seq, w.amount
      ),
      ${refundsRequested(Prisma.sql`SELECT id, seq, amount, 'admin' FROM changed`)}
      SELECT (SELECT ${stateOf('changed')}) AS "order",
             EXISTS (SELECT 1 FROM changed) AS changed,
             (SELECT json_build_object('seq', seq, 'amountCents', amount_cents) FROM refund) AS refund`,
    );
    return row;
  }
}
