import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import {
  createRedisClient,
  whenReady,
  withDeadline,
  type RedisClient,
  type RedisConnectionOptions,
} from '../common/redis/index.js';

/**
 * Sliding-window counter in one round trip: the current fixed window's count plus the previous
 * window's, weighted by how much of it still overlaps the sliding window. Two integers per client
 * and window whatever the limit (a log of timestamps would hold up to `limit` entries), and no
 * burst of 2 × limit across a window boundary (a fixed window allows that). Rejected requests are
 * not counted, so a client that keeps knocking does not extend its own wait.
 * Takes `count` requests of one client at once (see `increment`): the first ones that fit are
 * admitted, in order, exactly as if they had come one by one.
 * KEYS: current window, previous window. ARGV: elapsed ms in the current window, window ms, limit,
 * count. Returns { estimated hits before them (as text: Lua numbers become integers), admitted,
 * ms left in the window, ms until a refused one would pass }.
 */
const SLIDING_WINDOW = `
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local count = tonumber(ARGV[4])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = (window - elapsed) / window
local estimated = previous * weight + current
local admitted = math.max(0, math.min(count, math.floor(limit - estimated)))
if admitted > 0 then
  current = redis.call('INCRBY', KEYS[1], admitted)
  if current == admitted then redis.call('PEXPIRE', KEYS[1], window * 2) end
end
local wait = 0
if admitted < count then
  if current + 1 > limit then
    wait = (window - elapsed) + window * (1 - (limit - 1) / math.max(current, 1))
  else
    wait = (window - elapsed) - (limit - 1 - current) * window / math.max(previous, 1)
  end
end
return { tostring(estimated), admitted, window - elapsed, math.max(math.ceil(wait), 1) }
`;

type Decision = { totalHits: number; timeToExpire: number; isBlocked: boolean; timeToBlockExpire: number };

/** A client's requests waiting for the call in flight for that client to finish. */
interface Batch {
  key: string;
  ttl: number;
  limit: number;
  name: string;
  waiters: { resolve: (decision: Decision) => void; reject: (error: Error) => void }[];
}

/** Redis (or its circuit) is unavailable: the guard applies the throttler's failure policy. */
export class RateLimitStoreUnavailable extends Error {}

type SlidingWindowRedis = RedisClient & {
  slidingWindow(
    current: string,
    previous: string,
    elapsed: number,
    window: number,
    limit: number,
    count: number,
  ): Promise<[string, number, number, number]>;
};

/**
 * `@nestjs/throttler` storage on Redis (shared by every instance), sliding-window counter.
 * Commands fail fast (no offline queue, short timeout): a Redis outage costs a request at most
 * `commandTimeoutMs`, then the guard decides (fail-open or closed).
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: SlidingWindowRedis;
  /** Per client and policy: the batch that goes out when the call in flight returns. */
  private readonly next = new Map<string, Batch | null>();

  constructor(
    connection: RedisConnectionOptions,
    private readonly prefix: string,
    private readonly commandTimeoutMs: number,
  ) {
    this.redis = createRedisClient(connection, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    }) as SlidingWindowRedis;
    this.redis.on('error', () => undefined); // reported per request through the guard's policy
    this.redis.defineCommand('slidingWindow', { numberOfKeys: 2, lua: SLIDING_WINDOW });
  }

  /** Waits (bounded) for the connection: requests before it would meet the failure policy, not a queue. */
  ready(timeoutMs = 1_000): Promise<boolean> {
    return whenReady(this.redis, timeoutMs);
  }

  /**
   * `ttl` is the window (ms); `blockDuration` is not used: the window itself decides when a request
   * passes. One call per client and policy is in flight at a time: a client's requests arriving
   * meanwhile are counted together by the next call (busy clients cost Redis one round trip per
   * batch, not per request; a lone request goes out at once). Exact across instances either way.
   */
  increment(key: string, ttl: number, limit: number, _blockDuration: number, name: string): Promise<Decision> {
    const id = `${name}:${key}`;
    return new Promise((resolve, reject) => {
      if (!this.next.has(id)) {
        this.next.set(id, null);
        void this.flush(id, { key, ttl, limit, name, waiters: [{ resolve, reject }] });
        return;
      }
      const batch = this.next.get(id) ?? { key, ttl, limit, name, waiters: [] };
      batch.waiters.push({ resolve, reject });
      this.next.set(id, batch);
    });
  }

  private async flush(id: string, batch: Batch): Promise<void> {
    const { key, ttl, limit, name, waiters } = batch;
    const now = Date.now();
    const windowStart = now - (now % ttl);
    // One hash tag per client key: both windows land in the same Redis Cluster slot.
    const base = `${this.prefix}:${name}:{${key}}`;
    try {
      const [estimated, admitted, windowLeftMs, waitMs] = await withDeadline(
        this.redis.slidingWindow(
          `${base}:${windowStart}`,
          `${base}:${windowStart - ttl}`,
          now - windowStart,
          ttl,
          limit,
          waiters.length,
        ),
        this.commandTimeoutMs,
      );
      const before = Number(estimated);
      const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
      waiters.forEach(({ resolve }, index) => {
        const passes = index < admitted;
        resolve({
          totalHits: Math.ceil(passes ? before + index + 1 : before + admitted),
          timeToExpire: seconds(passes ? windowLeftMs : waitMs),
          isBlocked: !passes,
          timeToBlockExpire: seconds(waitMs),
        });
      });
    } catch (error) {
      const unavailable = new RateLimitStoreUnavailable((error as Error).message);
      for (const { reject } of waiters) reject(unavailable);
    } finally {
      const queued = this.next.get(id);
      if (queued) {
        this.next.set(id, null);
        void this.flush(id, queued);
      } else this.next.delete(id);
    }
  }

  close(): void {
    this.redis.disconnect();
    this.logger.debug('closed');
  }
}
