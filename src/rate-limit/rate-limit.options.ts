import type { RedisConnectionOptions } from '../common/redis/index.js';

export interface RateLimitPolicy {
  /** Requests allowed per window, per client. */
  limit: number;
  /** When the store (Redis) is unavailable: refuse (503) instead of letting requests through. */
  failClosed?: boolean;
}

export interface RateLimitModuleOptions {
  /** Off: nothing is counted or refused (benchmarks, or a gateway that limits instead). @default true */
  enabled?: boolean;
  /** Redis shared by every instance (the cache role is fine: losing counters is harmless); one server or a cluster. */
  redis: RedisConnectionOptions;
  /** @default 'rate-limit' */
  keyPrefix?: string;
  /** The sliding window. @default 60_000 */
  windowMs?: number;
  /** `default` applies to every route; the others only where `@RateLimit(name)` says (or code consumes them). */
  policies: { default: RateLimitPolicy } & Record<string, RateLimitPolicy>;
  /** A slower Redis answer counts as unavailable (the policy's failure mode applies). @default 100 */
  commandTimeoutMs?: number;
  /**
   * Local leases: each Redis call may also take up to `max` requests of the client's remaining budget
   * (never more than 1/`divisor` of it) to spend in this process for up to `ttlMs`.
   * `max: 0` sends every request to Redis. @default { max: 100, divisor: 8, ttlMs: 1_000 }
   */
  lease?: { max?: number; divisor?: number; ttlMs?: number };
  /** Clients whose lease/refusal this process remembers (least recently used dropped first). @default 100_000 */
  maxClients?: number;
}
