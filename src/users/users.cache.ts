import { Injectable } from '@nestjs/common';
import { CacheService } from '../cache/index.js';
import type { UserSummary } from './user.dto.js';
import { UsersRepository } from './users.repository.js';

/** Users' cache layout: `user-summaries` (what order and review pages show of a user), by user id. */
export const USER_SUMMARIES_NAMESPACE = 'user-summaries';
/** Summaries change rarely and are small: long enough in the cache to make MGET hits the norm. */
const SUMMARY_TTL_MS = 5 * 60_000;

@Injectable()
export class UsersCache {
  constructor(
    private readonly cache: CacheService,
    private readonly users: UsersRepository,
  ) {}

  /** Summaries of these users (`null` for ids that do not exist): one MGET, one query for the misses. */
  summaries(ids: readonly number[]): Promise<(UserSummary | null)[]> {
    return this.cache.getManyByIds(USER_SUMMARIES_NAMESPACE, ids, (missing) => this.users.findSummaries(missing), {
      ttlMs: SUMMARY_TTL_MS,
    });
  }
}
