import type { RedisConnectionOptions } from '../common/redis/index.js';

export interface ApiKeysModuleOptions {
  /** Keys the HMAC tag inside every API key. Changing it invalidates every key issued before. */
  secret: string | Buffer;
  /**
   * How long an instance trusts an answer it looked up, yes or no. With `bus`, revocations reach
   * every instance within milliseconds; this bounds it when a message is lost. @default 10_000
   */
  cacheTtlMs?: number;
  /** Keys remembered per instance (an entry is ~200 bytes). @default 10_000 */
  cacheMaxEntries?: number;
  /** Redis pub/sub that tells other instances of a revocation at once. Without it: within `cacheTtlMs`. */
  bus?: { redis: RedisConnectionOptions; channel: string };
}
