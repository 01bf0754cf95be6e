import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/index.js';
import { Db } from '../database/index.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Claim =
  | { kind: 'new' }
  /** A crashed earlier attempt got this far: continue from its order. */
  | { kind: 'resume'; orderId: number | null }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

/**
 * Idempotency keys with Stripe's semantics, per user, in Postgres: the first response for a key is
 * stored and replayed; the same key with another body is a mismatch; a retry while the first still
 * runs is "in progress"; a key whose holder died (lock expired) can be resumed.
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

  async claim(userId: number, key: string, requestHash: string): Promise<Claim> {
    const lockedUntil = new Date(Date.now() + this.config.IDEMPOTENCY_LOCK_MS);
    const inserted = await this.db.primary.$executeRaw`
      INSERT INTO idempotency_keys (user_id, key, request_hash, status, locked_until)
      VALUES (${userId}, ${key}, ${requestHash}, 'in_progress', ${lockedUntil})
      ON CONFLICT (user_id, key) DO NOTHING`;
    if (inserted === 1) return { kind: 'new' };
    const [row] = await this.db.primary.$queryRaw<
      {
        request_hash: string;
        status: string;
        response_status: number | null;
        response_body: unknown;
        order_id: number | null;
      }[]
    >`
      SELECT request_hash, status, response_status, response_body, order_id FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key}`;
    if (!row) return this.claim(userId, key, requestHash); // pruned in between
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.status === 'completed')
      return { kind: 'replay', response: { status: row.response_status!, body: row.response_body } };
    // Take over only a lock that has expired, atomically: two retries cannot both resume.
    const taken = await this.db.primary.$executeRaw`
      UPDATE idempotency_keys SET locked_until = ${lockedUntil}
      WHERE user_id = ${userId} AND key = ${key} AND status = 'in_progress' AND locked_until < now()`;
    return taken === 1 ? { kind: 'resume', orderId: row.order_id } : { kind: 'in-progress' };
  }

  async complete(userId: number, key: string, response: StoredResponse): Promise<void> {
    await this.db.primary.$executeRaw`
      UPDATE idempotency_keys SET status = 'completed', response_status = ${response.status}, response_body = ${JSON.stringify(response.body)}::jsonb
      WHERE user_id = ${userId} AND key = ${key}`;
  }

  /** Lets a retry run again from scratch (nothing was written for it). */
  async release(userId: number, key: string): Promise<void> {
    await this.db.primary
      .$executeRaw`DELETE FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key} AND status = 'in_progress'`;
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
