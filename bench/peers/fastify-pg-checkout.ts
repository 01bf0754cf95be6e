import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * The work of a deferred POST /checkout in one round trip: one statement whose data-modifying CTEs
 * take the stock (conditional updates: never negative), place the order and its items at the prices
 * read under the row locks, keep the payment token sealed, queue the 'charge' outbox event and store the idempotency key with its
 * response — all or nothing, as one statement is one transaction.
 * - The key is written last, already completed: a key seen in the snapshot skips everything (a
 *   replay); a concurrent request with the same key blocks on the key's primary key until the first
 *   commits, then fails with a unique violation (23505), which undoes its own writes (a replay too).
 * - Stock taken for some lines but not all (or mixed currencies) fails the statement through a cast
 *   error, which undoes the take; nothing taken at all writes nothing.
 * Left out for brevity (the bench buys one in-stock product per checkout): the API's 422-vs-409
 * distinction, storing refusals under the key, and locking rows in id order across many lines.
 */
const CHECKOUT_SQL = `
WITH wanted AS (
  SELECT * FROM unnest($3::int[], $4::int[]) AS w(product_id, quantity)
), fresh AS (
  SELECT NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2) AS yes
), taken AS (
  UPDATE products p SET stock = p.stock - w.quantity, updated_at = now()
  FROM wanted w, fresh
  WHERE fresh.yes AND p.id = w.product_id AND p.status = 'active' AND p.stock >= w.quantity
  RETURNING p.id, w.quantity, p.price_cents, p.currency
), total AS (
  SELECT count(*) AS lines, count(DISTINCT currency) AS currencies, min(currency) AS currency,
         sum(quantity * price_cents)::int AS total_cents
  FROM taken
), placed AS (
  INSERT INTO orders (user_id, status, currency, total_cents, updated_at)
  SELECT $1, 'payment_pending'::"OrderStatus", currency, total_cents, now() FROM total
  WHERE lines = cardinality($3::int[]) AND currencies = 1
  RETURNING id, total_cents, currency
), items AS (
  INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
  SELECT placed.id, taken.id, taken.quantity, taken.price_cents FROM placed, taken
), card AS (
  INSERT INTO order_payment_tokens (order_id, ciphertext) SELECT id, $5::text FROM placed
), charge AS (
  INSERT INTO outbox_events (topic, payload)
  SELECT 'charge', jsonb_build_object('orderId', id) FROM placed
), claimed AS (
  INSERT INTO idempotency_keys (user_id, key, request_hash, status, response_status, response_body, order_id, locked_until)
  SELECT $1, $2, $6, 'completed', 202,
         jsonb_build_object('orderId', id, 'status', 'payment_pending', 'totalCents', total_cents, 'currency', currency),
         id, now()
  FROM placed
  RETURNING response_body
)
SELECT fresh.yes AS fresh, claimed.response_body AS body,
       CASE WHEN claimed.response_body IS NULL AND total.lines > 0
            THEN ('checkout undone after taking stock for ' || total.lines || ' line(s)')::int END AS undone
FROM fresh CROSS JOIN total LEFT JOIN claimed ON true`;

/** As the API does (PaymentTokenCipher): the token sealed with AES-256-GCM, never stored in clear. */
const BENCH_TOKEN_KEY = createHash('sha256').update('bench-payment-token-key').digest();
function seal(token: string, userId: number): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', BENCH_TOKEN_KEY, iv);
  cipher.setAAD(Buffer.from(`user-${userId}`));
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

export interface CheckoutAnswer {
  status: number;
  body: unknown;
  replayed?: boolean;
}

interface CheckoutBody {
  items: { productId: number; quantity: number }[];
  paymentToken: string;
}

const KEY = /^[A-Za-z0-9_.:-]{1,255}$/;
const refused = (status: number, detail: string): CheckoutAnswer => ({ status, body: { status, detail } });

function isCheckoutBody(body: unknown): body is CheckoutBody {
  const { items, paymentToken } = (body ?? {}) as Partial<CheckoutBody>;
  return (
    Array.isArray(items) &&
    items.length >= 1 &&
    items.length <= 50 &&
    items.every(
      (item) =>
        Number.isInteger(item?.productId) &&
        item.productId >= 1 &&
        Number.isInteger(item.quantity) &&
        item.quantity >= 1 &&
        item.quantity <= 100,
    ) &&
    new Set(items.map((item) => item.productId)).size === items.length &&
    typeof paymentToken === 'string' &&
    paymentToken.length >= 1 &&
    paymentToken.length <= 200
  );
}

/** POST /checkout for `userId`: 202 with the order, a replay of the key's answer, or a refusal. */
export async function checkout(primary: pg.Pool, userId: number, key: unknown, body: unknown): Promise<CheckoutAnswer> {
  if (typeof key !== 'string' || !KEY.test(key)) return refused(400, 'Idempotency-Key: 1–255 of A–Z a–z 0–9 _ . : -');
  if (!isCheckoutBody(body)) return refused(400, 'body: { items: [{ productId, quantity }], paymentToken }');
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const items = [...body.items].sort((a, b) => a.productId - b.productId);
  try {
    const { rows } = await primary.query<{ fresh: boolean; body: unknown }>({
      name: 'checkout',
      text: CHECKOUT_SQL,
      values: [
        userId,
        key,
        items.map((item) => item.productId),
        items.map((item) => item.quantity),
        seal(body.paymentToken, userId),
        hash,
      ],
    });
    const placed = rows[0].body as { orderId: number; status: string; totalCents: number; currency: string } | null;
    // The API's field order (jsonb keeps its own).
    if (placed)
      return {
        status: 202,
        body: {
          orderId: placed.orderId,
          status: placed.status,
          totalCents: placed.totalCents,
          currency: placed.currency,
        },
      };
    if (rows[0].fresh) return refused(409, 'A product is out of stock or cannot be bought.');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '22P02') return refused(409, 'A product is out of stock, or the items mix currencies.');
    if (code !== '23505') throw error;
  }
  return replay(primary, userId, key, hash);
}

async function replay(primary: pg.Pool, userId: number, key: string, hash: string): Promise<CheckoutAnswer> {
  const { rows } = await primary.query<{ request_hash: string; response_status: number; response_body: unknown }>({
    name: 'checkout-replay',
    text: 'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2',
    values: [userId, key],
  });
  if (!rows[0]) return refused(409, 'A request with this Idempotency-Key is still in progress; retry later.');
  if (rows[0].request_hash !== hash)
    return refused(422, 'This Idempotency-Key was used with a different request body.');
  return { status: rows[0].response_status, body: rows[0].response_body, replayed: true };
}
