import { Injectable } from '@nestjs/common';
import { MAX_ORDER_TOTAL_CENTS } from '../common/money.js';
import { Db } from '../database/index.js';
import { currentTraceparent } from '../tracing/trace-context.js';
import { TAKE_OVER_ABANDONED } from './idempotency.store.js';

export interface OrderRequest {
  userId: number;
  key: string;
  requestHash: string;
  items: readonly { productId: number; quantity: number }[];
  /** The payment token sealed (PaymentTokenCipher): kept with the order until it settles, never in clear. */
  sealedToken: string;
  /** The worker charges: the order waits as payment_pending and its 202 is the key's answer at once. */
  deferred: boolean;
  /** When the charge event falls due, from now (a safety net in inline mode). */
  chargeAfterMs: number;
  /** How long an inline checkout holds its key while it charges. */
  lockMs: number;
}

/** A wanted product as its locked row stands (`status` null: no such product). */
export interface OrderLine {
  productId: number;
  quantity: number;
  status: string | null;
  stock: number | null;
  currency: string | null;
}

export type Placement =
  | { kind: 'placed'; orderId: number; totalCents: number; currency: string }
  /**
   * Not every item can be had (or in one currency), or the total would exceed `MAX_ORDER_TOTAL_CENTS`
   * (`overLimit`): nothing was written, the key included.
   */
  | { kind: 'refused'; lines: OrderLine[]; overLimit: boolean }
  /** The key is another request's (or a finished one's): nothing was written. */
  | { kind: 'key-taken' };

interface PlacementRow {
  ok: boolean;
  orderId: number | null;
  totalCents: number | null;
  currency: string | null;
  overLimit: boolean;
  lines: OrderLine[] | null;
}

/**
 * The checkout's writes, as one statement: one round trip, atomic on its own (no BEGIN/COMMIT).
 *
 * Order of locks, the same in every checkout, so none waits in a cycle: the product rows in
 * ascending id (`FOR UPDATE` under `ORDER BY`), then the idempotency key (the insert waits for a
 * request holding it). `FOR UPDATE` returns each row as last committed, whatever the statement's
 * snapshot (READ COMMITTED), and holds it to the end: the stock checked is the stock updated, so
 * nothing is oversold (and `products_stock_check` would refuse it anyway).
 *
 * All or nothing: the key is claimed only if every item can be had in one currency (so its row
 * is written once, with what happened: a refusal is stored by the caller instead), and the rest
 * (stock, order, items, sealed payment token, charge event) only if the key was claimed — inserted, or taken over from
 * an attempt that died before placing anything. The order id comes from the sequence first,
 * so the key row can name it. Sub-statements share one snapshot and cannot see each other's rows;
 * none needs to: each reads the CTEs before it, and the foreign keys are checked at the end.
 */
@Injectable()
export class CheckoutRepository {
  constructor(private readonly db: Db) {}

  /** The primary's position after this session's last commit (a replica at it shows the order). */
  committedPosition(): Promise<string> {
    return this.db.committedPosition();
  }

  async place(request: OrderRequest): Promise<Placement> {
    const { userId, key, requestHash, sealedToken, deferred, chargeAfterMs, lockMs } = request;
    const ids = request.items.map((item) => item.productId);
    const quantities = request.items.map((item) => item.quantity);
    // The worker's charge continues this request's trace (null when tracing is off).
    const traceparent = currentTraceparent();
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<PlacementRow[]>`
      WITH wanted AS (
        SELECT * FROM unnest(${ids}::int[], ${quantities}::int[]) AS w (product_id, quantity)
      ),
      locked AS MATERIALIZED (
        SELECT id, status::text AS status, stock, price_cents, currency::text AS currency
        FROM products WHERE id = ANY (${ids}::int[]) ORDER BY id FOR UPDATE
      ),
      lines AS (
        SELECT w.product_id, w.quantity, l.status, l.stock, l.price_cents, l.currency,
               coalesce(l.status = 'active' AND l.stock >= w.quantity, false) AS available
        FROM wanted w LEFT JOIN locked l ON l.id = w.product_id
      ),
      -- The total in bigint (it cannot overflow there), bounded by what orders.total_cents holds:
      -- a larger one is a refusal (overLimit), not a failed cast. Cast to int only where ok.
      totals AS (
        SELECT bool_and(available) AS available, count(DISTINCT currency) = 1 AS one_currency,
               sum(quantity * price_cents::bigint) AS total, min(currency) AS currency
        FROM lines
      ),
      decision AS (
        SELECT available AND one_currency AND total <= ${MAX_ORDER_TOTAL_CENTS}::bigint AS ok,
               CASE WHEN total <= ${MAX_ORDER_TOTAL_CENTS}::bigint THEN total::int END AS total_cents,
               coalesce(total > ${MAX_ORDER_TOTAL_CENTS}::bigint, false) AS over_limit, currency
        FROM totals
      ),
      claim AS (
        INSERT INTO idempotency_keys AS k
          (user_id, key, request_hash, status, order_id, response_status, response_body, locked_until)
        SELECT ${userId}::int, ${key}::text, ${requestHash}::text,
               CASE WHEN ${deferred}::boolean THEN 'completed' ELSE 'in_progress' END,
               o.id,
               CASE WHEN ${deferred}::boolean THEN 202 END,
               CASE WHEN ${deferred}::boolean THEN jsonb_build_object(
                 'orderId', o.id, 'status', 'payment_pending', 'totalCents', o.total_cents, 'currency', o.currency) END,
               now() + ${lockMs}::int * interval '1 millisecond'
        FROM (SELECT nextval('orders_id_seq')::int AS id, total_cents, currency FROM decision WHERE ok) o
        ON CONFLICT (user_id, key) DO UPDATE SET
          status = excluded.status, order_id = excluded.order_id, response_status = excluded.response_status,
          response_body = excluded.response_body, locked_until = excluded.locked_until
        WHERE ${TAKE_OVER_ABANDONED}
        RETURNING k.order_id
      ),
      taken AS (
        UPDATE products p SET stock = p.stock - w.quantity, updated_at = now()
        FROM wanted w, claim
        WHERE p.id = w.product_id
      ),
      placed AS (
        INSERT INTO orders (id, user_id, status, total_cents, currency, updated_at)
        SELECT c.order_id, ${userId}::int,
               (CASE WHEN ${deferred}::boolean THEN 'payment_pending' ELSE 'pending' END)::"OrderStatus",
               d.total_cents, d.currency, now()
        FROM claim c, decision d
        RETURNING id
      ),
      items AS (
        INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
        SELECT o.id, l.product_id, l.quantity, l.price_cents FROM placed o, lines l ORDER BY l.product_id
      ),
      -- Deferred: the charge itself, due now. Inline: a safety net, due only if the inline charge
      -- never settles (a crash mid-request). The event (and so the job) holds the order id only: the
      -- worker reads the sealed token from order_payment_tokens, which the settlement erases.
      card AS (
        INSERT INTO order_payment_tokens (order_id, ciphertext) SELECT o.id, ${sealedToken}::text FROM placed o
      ),
      charge AS (
        INSERT INTO outbox_events (topic, payload, available_at, traceparent)
        SELECT 'charge', jsonb_build_object('orderId', o.id),
               now() + ${chargeAfterMs}::int * interval '1 millisecond', ${traceparent}::text
        FROM placed o
      )
      SELECT d.ok, c.order_id AS "orderId", d.total_cents AS "totalCents", d.currency, d.over_limit AS "overLimit",
             CASE WHEN NOT d.ok THEN (
               SELECT jsonb_agg(jsonb_build_object('productId', product_id, 'quantity', quantity, 'status', status,
                 'stock', stock, 'currency', currency) ORDER BY product_id) FROM lines) END AS lines
      FROM decision d LEFT JOIN claim c ON true`,
    );
    if (!row.ok) return { kind: 'refused', lines: row.lines ?? [], overLimit: row.overLimit };
    if (row.orderId === null) return { kind: 'key-taken' };
    return { kind: 'placed', orderId: row.orderId, totalCents: row.totalCents!, currency: row.currency! };
  }
}
