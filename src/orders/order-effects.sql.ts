import { Prisma } from '../generated/prisma/client.js';
import { currentTraceparent } from '../tracing/trace-context.js';

/**
 * What a status change brings with it, as CTEs for the one statement that makes the change: the
 * lifecycle's (cancel, refund) and the payments' (settle, a late charge refunded). Each reads the
 * CTE named `source` that changed the order (columns `id`, and `seq`/amount for refunds), so it
 * does nothing when the change did not happen.
 */

/**
 * `units`, `locked`, `restocked`: the order's units back in stock, one row per product (lines of
 * one product summed), the products locked in id order as checkout locks them, so the two never
 * deadlock. `when`: a further condition (e.g. only on failure).
 */
export const stockReturned = (source: string, when: Prisma.Sql = Prisma.sql`true`) => Prisma.sql`
      units AS (
        SELECT oi.product_id, sum(oi.quantity)::int AS quantity
        FROM order_items oi JOIN ${Prisma.raw(source)} changed ON oi.order_id = changed.id
        WHERE ${when}
        GROUP BY oi.product_id
      ),
      locked AS MATERIALIZED (
        SELECT p.id FROM products p JOIN units ON units.product_id = p.id ORDER BY p.id FOR UPDATE OF p
      ),
      restocked AS (
        UPDATE products p SET stock = p.stock + units.quantity, updated_at = now()
        FROM units JOIN locked ON locked.id = units.product_id
        WHERE p.id = units.product_id
        RETURNING p.id
      )`;

/**
 * `charge_closed`, `token_erased`: no charge will be made for the order any more — its pending
 * charge event is closed and its sealed payment token erased (a charge already running holds the
 * token in memory and settles nothing).
 */
export const chargeWithdrawn = (orderId: number, source: string) => Prisma.sql`
      charge_closed AS (
        UPDATE outbox_events SET sent_at = now()
        WHERE topic = 'charge' AND sent_at IS NULL AND (payload->>'orderId')::int = ${orderId}
          AND EXISTS (SELECT 1 FROM ${Prisma.raw(source)})
      ),
      token_erased AS (
        DELETE FROM order_payment_tokens WHERE order_id = ${orderId} AND EXISTS (SELECT 1 FROM ${Prisma.raw(source)})
      )`;

/**
 * `refund`, `refund_event`: refund rows from `rows` (a SELECT of order_id, seq, amount, reason) and
 * their outbox events, which the worker turns into provider refunds (key `refund-<orderId>-<seq>`).
 */
export const refundsRequested = (rows: Prisma.Sql) => Prisma.sql`
      refund AS (
        INSERT INTO order_refunds (order_id, seq, amount_cents, reason)
        ${rows}
        RETURNING order_id, seq, amount_cents
      ),
      refund_event AS (
        INSERT INTO outbox_events (topic, payload, traceparent)
        SELECT 'refund', jsonb_build_object('orderId', order_id, 'seq', seq, 'amountCents', amount_cents),
               ${currentTraceparent()}::text
        FROM refund
      )`;
