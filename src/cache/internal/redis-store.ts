import { Logger } from '@nestjs/common';
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import {
  createFailFastClient,
  masterNodes,
  unlinkKeys,
  whenReady,
  withDeadline,
  type RedisClient,
  type RedisConnectionOptions,
} from '../../common/redis/index.js';
import type { CacheStats } from '../cache-stats.js';

export type CircuitStatus = 'closed' | 'open' | 'half-open';
export type Attempt<T> = { ok: true; value: T } | { ok: false };

/** Compare-and-delete: only the holder's token releases a lock. */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Compare-and-extend, for long work under a lock. */
const EXTEND_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * Tag invalidation in one call on a single server: the tag sets (KEYS) are dropped with their
 * entries while they add up to at most ARGV[1] entries (one script must not hold Redis for long);
 * then, unless some are left for the caller to page through, the bus message ARGV[3] is published
 * on ARGV[2]. Returns [entries deleted, tags left].
 */
const DROP_TAGS = `local budget, deleted, left = tonumber(ARGV[1]), 0, {}
for _, tag in ipairs(KEYS) do
  local size = redis.call('scard', tag)
  if size > budget then
    left[#left + 1] = tag
  elseif size > 0 then
    budget = budget - size
    deleted = deleted + redis.call('unlink', unpack(redis.call('smembers', tag)))
    redis.call('unlink', tag)
  end
end
if #left == 0 then redis.call('publish', ARGV[2], ARGV[3]) end
return {deleted, left}`;

type LockRedis = RedisClient & {
  releaseLock(key: string, token: string): Promise<number>;
  extendLock(key: string, token: string, ttlMs: number): Promise<number>;
  dropTags(keyCount: number, ...args: (string | number)[]): Promise<[number, string[]]>;
};

/**
 * Redis for the cache role behind a circuit breaker. Calls fail fast (no offline queue, a tight
 * deadline); after `threshold` consecutive failures the circuit opens and every call answers
 * "unavailable" at once, so the cache degrades to L1 + loader instead of slowing requests.
 */
export class RedisStore {
  readonly redis: LockRedis;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly logger = new Logger('Cache:redis');
  private readonly deadlineMs: number;

  constructor(
    connection: RedisConnectionOptions,
    options: { commandTimeoutMs: number; threshold: number; halfOpenAfterMs: number },
    private readonly stats: CacheStats,
  ) {
    this.deadlineMs = options.commandTimeoutMs;
    this.redis = createFailFastClient<LockRedis>(connection, {
      scripts: {
        releaseLock: { numberOfKeys: 1, lua: RELEASE_LOCK },
        extendLock: { numberOfKeys: 1, lua: EXTEND_LOCK },
        dropTags: { lua: DROP_TAGS },
      },
    });
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.threshold),
    });
    this.breaker.onStateChange((state) => {
      if (state === CircuitState.Open)
        this.logger.warn('Redis unavailable: circuit open, serving from memory and loaders');
      if (state === CircuitState.Closed) this.logger.log('Redis is back: circuit closed');
    });
  }

  /**
   * Runs a call (one round trip, or one pipelined wave per slot) within the deadline (the
   * `commandTimeoutMs` option unless given); `{ ok: false }` when Redis failed, the deadline passed,
   * or the circuit is open (never throws). A deadline rather than ioredis' `commandTimeout`: after
   * a CPU stall that one fails every command in flight, and the circuit would open for nothing.
   */
  async attempt<T>(
    command: (redis: LockRedis) => Promise<T>,
    { deadlineMs = this.deadlineMs } = {},
  ): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await this.breaker.execute(() => withDeadline(command(this.redis), deadlineMs)) };
    } catch (error) {
      if (this.breaker.state !== CircuitState.Open || !(error as Error).name?.includes('BrokenCircuit'))
        this.stats.redisErrors++;
      return { ok: false };
    }
  }

  get circuit(): CircuitStatus {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'open';
    }
  }

  /** Waits (bounded) for the first connection; a Redis that is down must not block the start. */
  ready(timeoutMs = 1_000): Promise<boolean> {
    return whenReady(this.redis, timeoutMs);
  }

  close(): void {
    this.redis.disconnect();
  }
}

/**
 * Deletes keys page by page (`page` returns the next cursor and a page of keys, from SCAN or
 * SSCAN), so no single command blocks Redis for long. Returns how many were deleted.
 */
export async function unlinkPaged(
  store: RedisStore,
  page: (cursor: string) => Promise<[string, string[]]>,
): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const next = await store.attempt(() => page(cursor));
    if (!next.ok) break;
    [cursor] = next.value;
    const keys = next.value[1];
    if (keys.length) {
      const removed = await store.attempt((redis) => unlinkKeys(redis, keys));
      if (removed.ok) deleted += removed.value;
    }
  } while (cursor !== '0');
  return deleted;
}

/**
 * Deletes the keys matching a glob, SCAN page by page on each server that holds keys (SCAN on a
 * cluster only walks the node it is sent to). Returns how many were deleted.
 */
export async function unlinkMatching(store: RedisStore, pattern: string, batchSize: number): Promise<number> {
  let deleted = 0;
  for (const node of masterNodes(store.redis))
    deleted += await unlinkPaged(store, (cursor) => node.scan(cursor, 'MATCH', pattern, 'COUNT', batchSize));
  return deleted;
}
