import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/index.js';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** A key found taken (by `CheckoutRepository.place` or `refuse`): what the request gets. */
export type KeyState =
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' }
  /** Its holder died after placing the order (lock expired); taken over now: continue from it. */
  | { kind: 'resume'; orderId: number }
  /** Gone (pruned), or its holder died before placing anything: placing again claims it. */
  | { kind: 'free' };

/**
 * For an `ON CONFLICT (user_id, key) DO UPDATE` on `idempotency_keys AS k`: the row may be taken
 * over only from a holder that died (lock expired) before placing an order, by the same request.
 */
export const TAKE_OVER_ABANDONED = Prisma.sql`k.status = 'in_progress' AND k.order_id IS NULL AND k.locked_until < now()
  AND k.request_hash = excluded.request_hash`;

/**
 * Idempotency keys with Stripe's semantics, per user, in Postgres: the first response for a key is
 * stored and replayed; the same key with another body is a mismatch; a retry while the first still
 * runs is "in progress"; a key whose holder died (lock expired) can be resumed. Keys are claimed
 * by the checkout's own statement (`CheckoutRepository.place`); this reads and settles them.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly config: AppConfig,
  ) {}

  static hash(body: unknown): string {
    return createHash('sha256').update(canonicalJson(body)).digest('hex');
  }

  /** Stores a refusal as the key's answer, unless the key is taken; whether it was stored. */
  async refuse(userId: number, key: string, requestHash: string, response: StoredResponse): Promise<boolean> {
    const stored = await this.db.primary.$executeRaw`
      INSERT INTO idempotency_keys AS k (user_id, key, request_hash, status, response_status, response_body, locked_until)
      VALUES (${userId}, ${key}, ${requestHash}, 'completed', ${response.status}, ${JSON.stringify(response.body)}::jsonb, now())
      ON CONFLICT (user_id, key) DO UPDATE SET
        status = 'completed', response_status = excluded.response_status, response_body = excluded.response_body
      WHERE ${TAKE_OVER_ABANDONED}`;
    return stored === 1;
  }

  /** What a request gets from a key that is taken. */
  async inspect(userId: number, key: string, requestHash: string): Promise<KeyState> {
    const [row] = await this.db.primary.$queryRaw<
      {
        request_hash: string;
        status: string;
        response_status: number | null;
        response_body: unknown;
        order_id: number | null;
        expired: boolean;
      }[]
    >`
      SELECT request_hash, status, response_status, response_body, order_id, locked_until < now() AS expired
      FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key}`;
    if (!row) return { kind: 'free' };
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.status === 'completed')
      return { kind: 'replay', response: { status: row.response_status!, body: row.response_body } };
    if (!row.expired) return { kind: 'in-progress' };
    if (row.order_id === null) return { kind: 'free' };
    // Take over only a lock that has expired, atomically: two retries cannot both resume.
    const taken = await this.db.primary.$executeRaw`
      UPDATE idempotency_keys SET locked_until = now() + ${this.config.IDEMPOTENCY_LOCK_MS}::int * interval '1 millisecond'
      WHERE user_id = ${userId} AND key = ${key} AND status = 'in_progress' AND locked_until < now()`;
    return taken === 1 ? { kind: 'resume', orderId: row.order_id } : { kind: 'in-progress' };
  }

  async complete(userId: number, key: string, response: StoredResponse): Promise<void> {
    await this.db.primary.$executeRaw`
      UPDATE idempotency_keys SET status = 'completed', response_status = ${response.status}, response_body = ${JSON.stringify(response.body)}::jsonb
      WHERE user_id = ${userId} AND key = ${key}`;
  }
}

/** Key order does not change the meaning of a JSON body, so it must not change its hash. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
