import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { LEGACY_PREFIX } from './payment-token-cipher.js';

export interface StuckOrder {
  orderId: number;
  /** Since the order was placed. */
  ageMs: number;
}

/** The SQL of the worker's reconciliation sweep and of payment-token housekeeping. */
@Injectable()
export class PaymentReconciliationRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes up to `limit` orders still waiting for a charge whose status has not changed for `afterMs`
   * (placed, or last deferred), longest unchanged first. Taking one moves its `updated_at` to now: a
   * lease, as the outbox relay's (`FOR UPDATE SKIP LOCKED`), so overlapping passes (the next one
   * started, another worker) never take the same order, and one the provider could not answer is
   * asked again `afterMs` later. `orders_status_created_idx` finds them by status.
   */
  async take(afterMs: number, limit: number): Promise<StuckOrder[]> {
    return this.db.primary.$queryRaw<StuckOrder[]>`
      UPDATE orders o SET updated_at = now()
      WHERE o.id IN (
        SELECT id FROM orders
        WHERE status IN ('pending', 'payment_pending')
          AND updated_at < now() - ${afterMs}::int * interval '1 millisecond'
        ORDER BY updated_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING o.id AS "orderId", (extract(epoch FROM now() - o.created_at) * 1000)::float8 AS "ageMs"`;
  }

  /**
   * Tokens of orders that no longer wait for a charge (settled by a path that does not erase, e.g. a
   * cancellation): erased. Returns how many.
   */
  async eraseSettledTokens(): Promise<number> {
    return this.db.primary.$executeRaw`
      DELETE FROM order_payment_tokens t USING orders o
      WHERE o.id = t.order_id AND o.status NOT IN ('pending', 'payment_pending')`;
  }

  /**
   * What the migration did, again (at worker boot): charge events written by instances of an earlier
   * version still running during a rollout carry `paymentToken` in clear. Those of payable orders
   * move to order_payment_tokens as 'legacy:' (sealed next, by the caller), every payload loses it.
   * One statement; returns how many events held one.
   */
  async moveLegacyTokens(): Promise<number> {
    const [row] = await this.db.primary.$queryRaw<{ count: number }[]>`
      WITH legacy AS (
        SELECT DISTINCT ON (o.id) o.id, e.payload->>'paymentToken' AS token
        FROM outbox_events e JOIN orders o ON o.id = (e.payload->>'orderId')::int
        WHERE e.topic = 'charge' AND e.payload ? 'paymentToken' AND o.status IN ('pending', 'payment_pending')
        ORDER BY o.id, e.id DESC
      ),
      moved AS (
        INSERT INTO order_payment_tokens (order_id, ciphertext)
        SELECT id, ${LEGACY_PREFIX} || token FROM legacy
        ON CONFLICT (order_id) DO NOTHING
      ),
      stripped AS (
        UPDATE outbox_events SET payload = payload - 'paymentToken' WHERE payload ? 'paymentToken' RETURNING 1
      )
      SELECT count(*)::int AS count FROM stripped`;
    return row.count;
  }

  /** Tokens the migration moved out of outbox payloads, still in clear ('legacy:'). */
  legacyTokens(): Promise<{ orderId: number; userId: number; stored: string }[]> {
    return this.db.primary.$queryRaw`
      SELECT t.order_id AS "orderId", o.user_id AS "userId", t.ciphertext AS stored
      FROM order_payment_tokens t JOIN orders o ON o.id = t.order_id
      WHERE t.ciphertext LIKE ${`${LEGACY_PREFIX}%`}`;
  }

  /** Replaces each row's clear token with its sealed one (only if it still holds the clear one). */
  async replaceTokens(rows: readonly { orderId: number; stored: string; sealed: string }[]): Promise<number> {
    if (!rows.length) return 0;
    return this.db.primary.$executeRaw`
      UPDATE order_payment_tokens t SET ciphertext = r.sealed
      FROM unnest(${rows.map((row) => row.orderId)}::int[], ${rows.map((row) => row.stored)}::text[],
                  ${rows.map((row) => row.sealed)}::text[]) AS r (order_id, stored, sealed)
      WHERE t.order_id = r.order_id AND t.ciphertext = r.stored`;
  }
}
