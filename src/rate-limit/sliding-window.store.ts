import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import {
  createFailFastClient,
  whenReady,
  withDeadline,
  type RedisClient,
  type RedisConnectionOptions,
} from '../common/redis/index.js';

/**
 * Sliding-window counter in one round trip: the current fixed window's count plus the previous
 * window's, weighted by how much of it still overlaps the sliding window. Two integers per client
 * and window whatever the limit, and no burst of 2 × limit across a window boundary. Refused
 * requests are not counted, so a client that keeps knocking does not extend its own wait.
 *
 * One call admits `count` waiting requests (the first ones that fit, in order) and, when all of
 * them fit, grants up to `spareMax` more as a lease — at most (room left) / `divisor`, so leases
 * shrink to nothing as the budget runs out and the last requests are decided here, one by one.
 * Leased tokens are counted now; `giveBack` returns a lapsed lease's unspent tokens (same window).
 *
 * KEYS: current window, previous window. ARGV: elapsed ms in the current window, window ms, limit,
 * count, spareMax, divisor, giveBack. Returns { estimated hits before them (as text: Lua numbers
 * become integers), admitted, spare, ms left in the window, ms until a refused one would pass }.
 */
const SLIDING_WINDOW = `
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local count = tonumber(ARGV[4])
local spareMax = tonumber(ARGV[5])
local divisor = tonumber(ARGV[6])
local giveBack = tonumber(ARGV[7])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if giveBack > 0 and current > 0 then
  current = redis.call('DECRBY', KEYS[1], math.min(giveBack, current))
end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local estimated = previous * (window - elapsed) / window + current
local room = math.floor(limit - estimated)
local admitted = math.max(0, math.min(count, room))
local spare = 0
if admitted == count and spareMax > 0 then
  spare = math.max(0, math.min(spareMax, math.floor((room - count) / divisor)))
end
if admitted + spare > 0 then
  current = redis.call('INCRBY', KEYS[1], admitted + spare)
  if current == admitted + spare then redis.call('PEXPIRE', KEYS[1], window * 2) end
end
local wait = 0
if admitted < count then
  if current + 1 > limit then
    wait = (window - elapsed) + window * (1 - (limit - 1) / math.max(current, 1))
  else
    wait = (window - elapsed) - (limit - 1 - current) * window / math.max(previous, 1)
  end
end
return { tostring(estimated), admitted, spare, window - elapsed, math.max(math.ceil(wait), 1) }
`;

/** What one call decided for `count` requests of one client and policy. */
export interface Grant {
  /** The window's estimated hits before this call's requests. */
  estimated: number;
  /** How many of the requests passed (the first ones). */
  admitted: number;
  /** Tokens leased beyond them, already counted. */
  spare: number;
  windowLeftMs: number;
  /** When a refused request would pass. */
  waitMs: number;
}

export interface TakeRequest {
  /** Client and policy, e.g. `default:ip:10.0.0.1`. */
  key: string;
  windowMs: number;
  limit: number;
  count: number;
  spareMax?: number;
  divisor?: number;
  giveBack?: number;
}

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Redis (or its deadline) failed: the caller applies the policy's failure mode. */
export class RateLimitStoreUnavailable extends Error {}

/**
 * The counters a request at `now` reads: the fixed window it falls in and the one before, and how
 * far into its window it is. One hash tag per client key: both land in one Redis Cluster slot.
 */
export function windowKeys(
  prefix: string,
  key: string,
  windowMs: number,
  now: number,
): { current: string; previous: string; elapsedMs: number } {
  const windowStart = now - (now % windowMs);
  const base = `${prefix}:{${key}}`;
  return {
    current: `${base}:${windowStart}`,
    previous: `${base}:${windowStart - windowMs}`,
    elapsedMs: now - windowStart,
  };
}

type SlidingWindowRedis = RedisClient & {
  slidingWindow(
    current: string,
    previous: string,
    ...args: number[]
  ): Promise<[estimated: string, admitted: number, spare: number, windowLeftMs: number, waitMs: number]>;
};

/**
 * The sliding-window counters in Redis, shared by every instance. Commands fail fast (no offline
 * queue, a deadline per call): a Redis outage costs a request at most `commandTimeoutMs`. Also a
 * `ThrottlerStorage`, so `@nestjs/throttler`'s own guard can run on it.
 */
export class SlidingWindowStore implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: SlidingWindowRedis;
  /** Calls sent, for the cost per request (metrics). */
  calls = 0;

  constructor(
    connection: RedisConnectionOptions,
    private readonly prefix: string,
    private readonly commandTimeoutMs: number,
  ) {
    // Connection errors are reported per request through the failure policy.
    this.redis = createFailFastClient<SlidingWindowRedis>(connection, {
      scripts: { slidingWindow: { numberOfKeys: 2, lua: SLIDING_WINDOW } },
    });
  }

  /** Waits (bounded) for the connection: requests before it would meet the failure policy, not a queue. */
  ready(timeoutMs = 1_000): Promise<boolean> {
    return whenReady(this.redis, timeoutMs);
  }

  /** One round trip. @throws RateLimitStoreUnavailable */
  async take({ key, windowMs, limit, count, spareMax = 0, divisor = 1, giveBack = 0 }: TakeRequest): Promise<Grant> {
    const now = Date.now();
    const { current, previous, elapsedMs } = windowKeys(this.prefix, key, windowMs, now);
    this.calls++;
    try {
      const [estimated, admitted, spare, windowLeftMs, waitMs] = await withDeadline(
        this.redis.slidingWindow(current, previous, elapsedMs, windowMs, limit, count, spareMax, divisor, giveBack),
        this.commandTimeoutMs,
      );
      return { estimated: Number(estimated), admitted, spare, windowLeftMs, waitMs };
    } catch (error) {
      throw new RateLimitStoreUnavailable((error as Error).message);
    }
  }

  /** `ThrottlerStorage`: one request, no lease. */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    const grant = await this.take({ key: `${name}:${key}`, windowMs: ttl, limit, count: 1 });
    const passed = grant.admitted === 1;
    const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
    return {
      totalHits: Math.ceil(grant.estimated + 1),
      timeToExpire: seconds(passed ? grant.windowLeftMs : grant.waitMs),
      isBlocked: !passed,
      timeToBlockExpire: seconds(grant.waitMs),
    };
  }

  close(): void {
    this.redis.disconnect();
    this.logger.debug('closed');
  }
}
