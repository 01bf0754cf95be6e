import type { RedisConnectionOptions } from '../common/redis/index.js';
import type { CustomType } from './internal/cache-codec.js';

/** Options of {@link CacheModule}. */
export interface CacheModuleOptions {
  /** Redis for the cache role (may evict): one server, or a Redis Cluster. */
  redis: RedisConnectionOptions;
  /** Off: every call goes straight to its loader (for measuring what the cache buys). @default true */
  enabled?: boolean;
  /** Prefix of every key and channel, e.g. `<app>:<env>`: instances with one prefix share entries. */
  prefix: string;
  /** Default freshness of an entry. @default 60_000 */
  defaultTtlMs?: number;
  /** After soft expiry, how long a stale value may still be served while one refresh runs. @default 30_000 */
  defaultGraceMs?: number;
  /** How long "not found" is cached. @default 5_000 */
  negativeTtlMs?: number;
  /** ±fraction applied to every TTL so entries written together do not expire together. @default 0.1 */
  ttlJitter?: number;
  l1?: {
    /** @default 10_000 */
    maxEntries?: number;
    /** @default 64 MiB */
    maxBytes?: number;
    /** In-process copies live at most this long (other instances' writes reach them by the bus). @default 10_000 */
    ttlMs?: number;
  };
  /** Deadline of one Redis call (a late timer first reads what already arrived); past it the call counts as a failure. @default 100 */
  commandTimeoutMs?: number;
  /** Consecutive Redis failures that open the circuit; while open the cache is L1 + loader only. @default 5 */
  circuitFailureThreshold?: number;
  /** How long the circuit stays open before one probe command is let through. @default 2_000 */
  circuitHalfOpenAfterMs?: number;
  /** A loader running longer is abandoned (a stale value is served if there is one). @default 5_000 */
  loaderTimeoutMs?: number;
  /** The distributed lock's TTL: a crashed holder blocks others at most this long. @default 10_000 */
  lockTtlMs?: number;
  /** How long a waiter waits for another instance's load before loading itself. @default 3_000 */
  lockWaitMs?: number;
  /** Values larger than this are compressed (kept raw when compression saves less than 1.5×). @default 1_024 */
  compressAboveBytes?: number;
  /**
   * The primary's current position after a write (the database module's `currentLsn`). With it,
   * invalidations carry a position, and misses on recently invalidated keys are loaded with it.
   */
  currentPosition?: () => Promise<string | undefined>;
  /** Runs a loader so that its reads see at least `position` (the database module's routing). */
  withMinimumPosition?: <T>(position: string, load: () => Promise<T>) => Promise<T>;
  /** Classes beyond Date/BigInt/Map/Set to round-trip, e.g. Prisma's Decimal. */
  customTypes?: CustomType[];
  /**
   * Metadata keys (on a handler or its controller) that mark a route as authenticated, e.g. the
   * auth module's `AUTHENTICATED`. A `@Cacheable` route with one and without `perUser` makes the
   * app refuse to start. @default [] (no check)
   */
  authenticatedMetadata?: readonly string[];
  /** How long an invalidation's position is honoured by loads (≥ replicas' max lag + probe interval). @default 10_000 */
  fenceMs?: number;
}
