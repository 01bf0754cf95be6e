import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import type { ApiKey } from '../generated/prisma/client.js';

export type ApiKeyRow = ApiKey;
export type VerifiedRow = Pick<ApiKey, 'id' | 'name' | 'limits' | 'expiresAt' | 'revokedAt'>;
type NewApiKey = Pick<ApiKey, 'name' | 'keyHash' | 'prefix' | 'last4'> & {
  expiresAt?: Date;
  limits?: Record<string, number>;
};

/** The only code that touches `api_keys`. Everything here runs on the primary (see each method). */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Db) {}

  create(data: NewApiKey): Promise<ApiKeyRow> {
    return this.db.primary.apiKey.create({ data });
  }

  /**
   * The key with this hash (one probe of `api_keys_key_hash_key`). On the primary, not a
   * replica: a key issued a moment ago (on any instance, or by the CLI) must work at once, and a
   * lagging replica could still show a revoked key as live, which would then be cached for the
   * TTL. Misses are rare (once per key, instance and TTL), so the primary hardly notices them.
   */
  findByHash(keyHash: string): Promise<VerifiedRow | null> {
    return this.db.primary.apiKey.findUnique({
      where: { keyHash },
      select: { id: true, name: true, limits: true, expiresAt: true, revokedAt: true },
    });
  }

  /** Newest first, `limit` of them after id `before`. The primary: an operator lists what they just changed. */
  page(limit: number, before?: number): Promise<ApiKeyRow[]> {
    return this.db.primary.apiKey.findMany({
      where: before === undefined ? {} : { id: { lt: before } },
      orderBy: { id: 'desc' },
      take: limit,
    });
  }

  /** Marks the key revoked (kept as it was if it already is). False when there is no such key. */
  async revoke(id: number, at: Date): Promise<boolean> {
    const { count } = await this.db.primary.apiKey.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: at },
    });
    if (count) return true;
    return (await this.db.primary.apiKey.findUnique({ where: { id }, select: { id: true } })) !== null;
  }
}
