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
  keyPrefix?: string;
  /** The sliding window. @default 60_000 */
  windowMs?: number;
  /** `default` applies to every route; the others only where `@RateLimit(name)` says. */
  policies: { default: RateLimitPolicy } & Record<string, RateLimitPolicy>;
  /** Header naming an API key: the client's identity when it is not signed in. @default 'x-api-key' */
  apiKeyHeader?: string;
  /** A slower Redis command counts as unavailable. @default 100 */
  commandTimeoutMs?: number;
}
