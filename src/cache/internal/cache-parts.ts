import { CacheNames, type CacheKey } from '../cache-keys.js';
import type { CacheModuleOptions } from '../cache.options.js';
import type { CacheStats } from '../cache-stats.js';
import { CacheCodec } from './cache-codec.js';
import { Fences } from './fences.js';
import { FillWaiters } from './fill-waiters.js';
import { MemoryStore } from './memory-store.js';
import { NamespaceVersions } from './namespace-versions.js';
import { RedisStore } from './redis-store.js';

/** The module's defaults, in this one place (`CacheModuleOptions` documents them). */
export function cacheSettings(options: CacheModuleOptions) {
  return {
    enabled: options.enabled !== false,
    ttlMs: options.defaultTtlMs ?? 60_000,
    graceMs: options.defaultGraceMs ?? 30_000,
    negativeTtlMs: options.negativeTtlMs ?? 5_000,
    jitter: options.ttlJitter ?? 0.1,
    l1: {
      maxEntries: options.l1?.maxEntries ?? 10_000,
      maxBytes: options.l1?.maxBytes ?? 64 * 1024 * 1024,
      ttlMs: options.l1?.ttlMs ?? 10_000,
    },
    redis: {
      commandTimeoutMs: options.commandTimeoutMs ?? 100,
      threshold: options.circuitFailureThreshold ?? 5,
      halfOpenAfterMs: options.circuitHalfOpenAfterMs ?? 2_000,
    },
    loaderTimeoutMs: options.loaderTimeoutMs ?? 5_000,
    lockTtlMs: options.lockTtlMs ?? 10_000,
    lockWaitMs: options.lockWaitMs ?? 3_000,
    compressAboveBytes: options.compressAboveBytes ?? 1_024,
    fenceMs: options.fenceMs ?? 10_000,
  };
}

export type CacheSettings = ReturnType<typeof cacheSettings>;

/**
 * What the cache's parts share: settings, names, codec, both layers, namespace versions, fences,
 * fill waiters, counters, and the epoch.
 */
export class CacheParts {
  readonly settings: CacheSettings;
  readonly names: CacheNames;
  readonly codec: CacheCodec;
  readonly l1: MemoryStore;
  readonly l2: RedisStore;
  readonly versions: NamespaceVersions;
  readonly fences: Fences;
  readonly fills = new FillWaiters();
  /** Bumped by every invalidation: a load or fill that straddles one must not store what it read. */
  epoch = 0;

  constructor(
    readonly options: CacheModuleOptions,
    readonly stats: CacheStats,
  ) {
    this.settings = cacheSettings(options);
    this.names = new CacheNames(options.prefix);
    this.codec = new CacheCodec(this.settings.compressAboveBytes, options.customTypes);
    this.l2 = new RedisStore(options.redis, this.settings.redis, stats);
    this.l1 = new MemoryStore(this.settings.l1, stats);
    this.versions = new NamespaceVersions(this.names, this.l2);
    this.fences = new Fences(this.settings.fenceMs);
  }

  /** The entry's Redis name under its namespace's current version. */
  async entryName(key: CacheKey): Promise<string> {
    return this.names.entry(key.namespace, await this.versions.get(key.namespace), key.id);
  }

  /** The entry's version-free name, which invalidations and fences address. */
  stem(key: CacheKey): string {
    return this.names.stem(key.namespace, key.id);
  }
}
