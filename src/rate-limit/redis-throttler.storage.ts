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

/** Requests of one client and policy counted together by one call. */
interface Batch {
  key: string;
  ttl: number;
  limit: number;
  name: string;
  waiters: { resolve: (decision: Decision) => void; reject: (error: Error) => void }[];
}

/** A client's calls in flight, and the batch that waits for one of them to return. */
interface ClientCalls {
  inFlight: number;
  waiting: Batch | null;
}

/**
 * Calls in flight per client and policy. With one, a busy client's requests waited for a whole
 * round trip before theirs even left (one client at 50 connections, cached reads: 4 in flight gave
 * +30 % req/s and p50 7.8 → 5.6 ms); more only adds Redis calls. Redis runs one connection's calls
 * in order, so the counts stay exact.
 */
const MAX_IN_FLIGHT = 4;

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
  /** Per client and policy: calls in flight and the batch waiting for one to return. */
  private readonly clients = new Map<string, ClientCalls>();

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
   * passes. Up to `MAX_IN_FLIGHT` calls per client and policy are in flight; a client's requests
   * arriving past that are counted together by the next call (busy clients cost Redis one round
   * trip per batch, not per request; a lone request goes out at once). Exact across instances.
   */
  increment(key: string, ttl: number, limit: number, _blockDuration: number, name: string): Promise<Decision> {
    const id = `${name}:${key}`;
    return new Promise((resolve, reject) => {
      let calls = this.clients.get(id);
      if (!calls) this.clients.set(id, (calls = { inFlight: 0, waiting: null }));
      if (calls.waiting) return void calls.waiting.waiters.push({ resolve, reject });
      const batch = { key, ttl, limit, name, waiters: [{ resolve, reject }] };
      if (calls.inFlight < MAX_IN_FLIGHT) this.send(id, calls, batch);
      else calls.waiting = batch;
    });
  }

  private send(id: string, calls: ClientCalls, batch: Batch): void {
    calls.inFlight++;
    void this.flush(batch).finally(() => {
      calls.inFlight--;
      const waiting = calls.waiting;
      calls.waiting = null;
      if (waiting) this.send(id, calls, waiting);
      else if (calls.inFlight === 0) this.clients.delete(id);
    });
  }

  private async flush(batch: Batch): Promise<void> {
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
    }
  }

  close(): void {
    this.redis.disconnect();
    this.logger.debug('closed');
  }
}
