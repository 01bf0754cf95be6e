import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Redis } from 'ioredis';

/**
 * Sliding-window counter in one round trip: the current fixed window's count plus the previous
 * window's, weighted by how much of it still overlaps the sliding window. Two integers per client
 * and window whatever the limit (a log of timestamps would hold up to `limit` entries), and no
 * burst of 2 × limit across a window boundary (a fixed window allows that). Rejected requests are
 * not counted, so a client that keeps knocking does not extend its own wait.
 * KEYS: current window, previous window. ARGV: elapsed ms in the current window, window ms, limit.
 * Returns { hits after this request (estimated), blocked 0/1, ms until a request would pass }.
 */
const SLIDING_WINDOW = `
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = (window - elapsed) / window
local estimated = previous * weight + current
if estimated + 1 > limit then
  local wait
  if current + 1 > limit then
    wait = (window - elapsed) + window * (1 - (limit - 1) / math.max(current, 1))
  else
    wait = (window - elapsed) - (limit - 1 - current) * window / math.max(previous, 1)
  end
  return { math.ceil(estimated), 1, math.max(math.ceil(wait), 1) }
end
current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], window * 2) end
return { math.ceil(previous * weight + current), 0, window - elapsed }
`;

/** Redis (or its circuit) is unavailable: the guard applies the throttler's failure policy. */
export class RateLimitStoreUnavailable extends Error {}

type SlidingWindowRedis = Redis & {
  slidingWindow(current: string, previous: string, elapsed: number, window: number, limit: number): Promise<number[]>;
};

/**
 * `@nestjs/throttler` storage on Redis (shared by every instance), sliding-window counter.
 * Commands fail fast (no offline queue, short timeout): a Redis outage costs a request at most
 * `commandTimeoutMs`, then the guard decides (fail-open or closed).
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: SlidingWindowRedis;

  constructor(
    url: string,
    private readonly prefix: string,
    commandTimeoutMs: number,
  ) {
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    }) as SlidingWindowRedis;
    this.redis.on('error', () => undefined); // reported per request through the guard's policy
    this.redis.defineCommand('slidingWindow', { numberOfKeys: 2, lua: SLIDING_WINDOW });
  }

  /** `ttl` is the window (ms); `blockDuration` is not used: the window itself decides when a request passes. */
  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string) {
    const now = Date.now();
    const windowStart = now - (now % ttl);
    // One hash tag per client key: both windows land in the same Redis Cluster slot.
    const base = `${this.prefix}:${throttlerName}:{${key}}`;
    let result: number[];
    try {
      result = await this.redis.slidingWindow(
        `${base}:${windowStart}`,
        `${base}:${windowStart - ttl}`,
        now - windowStart,
        ttl,
        limit,
      );
    } catch (error) {
      throw new RateLimitStoreUnavailable((error as Error).message);
    }
    const [hits, blocked, waitMs] = result;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return { totalHits: hits, timeToExpire: seconds, isBlocked: blocked === 1, timeToBlockExpire: seconds };
  }

  close(): void {
    this.redis.disconnect();
    this.logger.debug('closed');
  }
}
