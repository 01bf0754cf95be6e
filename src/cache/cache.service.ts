import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { unlinkKeys } from '../common/redis/index.js';
import type { CacheKey } from './cache-keys.js';
import { CACHE_MODULE_OPTIONS } from './cache.module-definition.js';
import type { CacheModuleOptions } from './cache.options.js';
import { CacheStats } from './cache-stats.js';
import type { StoredEntry } from './internal/cache-codec.js';
import { CacheParts } from './internal/cache-parts.js';
import { EntryLoader, type Loader } from './internal/entry-loader.js';
import { EntryReader, valueOf, type FreshCopy } from './internal/entry-reader.js';
import { EntryWriter, type SetOptions } from './internal/entry-writer.js';
import { Invalidator } from './internal/invalidator.js';
import { unlinkMatching, type CircuitStatus } from './internal/redis-store.js';
import { cacheEvent } from '../tracing/trace-context.js';

export type { FreshCopy } from './internal/entry-reader.js';
export type { SetOptions } from './internal/entry-writer.js';

export interface InvalidationOptions {
  /**
   * The primary's position after the write that made the entries stale, when the caller has read
   * it already. @default read with the module's `currentPosition`
   */
  position?: string;
}

export interface CachedEntry<T> {
  value: T | null;
  etag: string;
  /** `HIT` (fresh), `STALE` (served during grace, refresh running), `MISS` (just loaded). */
  status: 'HIT' | 'STALE' | 'MISS';
}

/**
 * L1 (in-process LRU) over L2 (Redis), kept in sync across instances by a pub/sub bus, with
 * stampede protection (single-flight + a distributed lock with double-check), stale-while-
 * revalidate, negative caching, tags, versioned namespaces, and a circuit that turns a dead Redis
 * into "memory and loaders only" instead of errors. A facade: reading, writing, loading and
 * invalidation live in `internal/`.
 */
@Injectable()
export class CacheService implements OnModuleInit, OnApplicationShutdown {
  readonly stats = new CacheStats();
  readonly instanceId = randomUUID();
  private readonly logger = new Logger('Cache');
  private readonly parts: CacheParts;
  private readonly reader: EntryReader;
  private readonly writer: EntryWriter;
  private readonly loader: EntryLoader;
  private readonly invalidator: Invalidator;
  /** False when the module is configured off: every read goes to its loader. */
  readonly enabled: boolean;

  constructor(@Inject(CACHE_MODULE_OPTIONS) options: CacheModuleOptions) {
    this.parts = new CacheParts(options, this.stats);
    this.enabled = this.parts.settings.enabled;
    this.reader = new EntryReader(this.parts);
    this.writer = new EntryWriter(this.parts);
    this.invalidator = new Invalidator(this.parts, this.instanceId);
    this.loader = new EntryLoader(this.parts, this.reader, this.writer, (name) =>
      this.invalidator.announceFilled(name),
    );
  }

  async onModuleInit(): Promise<void> {
    await this.parts.l2.ready();
  }

  onApplicationShutdown(): void {
    this.invalidator.close();
    this.parts.l2.close();
  }

  get circuit(): CircuitStatus {
    return this.parts.l2.circuit;
  }

  /** Whether Redis answers now (false at once while the circuit is open). */
  async ping(): Promise<boolean> {
    return (await this.parts.l2.attempt((redis) => redis.ping())).ok;
  }

  /** The cached value, or the loader's (stored for next time). `null` = "not found" (cached briefly). */
  async getOrSet<T>(key: CacheKey, loader: Loader<T>, options: SetOptions = {}): Promise<T | null> {
    return (await this.getOrSetEntry(key, loader, options)).value;
  }

  /** As `getOrSet`, with the entry's ETag and whether it was a hit, stale, or a miss. */
  async getOrSetEntry<T>(key: CacheKey, loader: Loader<T>, options: SetOptions = {}): Promise<CachedEntry<T>> {
    if (!this.enabled) {
      const value = (await loader()) ?? null;
      return { value, etag: this.parts.codec.serializeValue(value).etag, status: 'MISS' };
    }
    const name = await this.parts.entryName(key);
    const counters = this.stats.of(key.namespace);
    const found = await this.reader.locate<T>(name, options.l1 !== false);
    if (found) {
      counters.hits[found.layer]++;
      if (Date.now() < found.entry.softExpiresAt) {
        cacheEvent('cache.hit', key.namespace, found.layer);
        return { value: valueOf(found.entry), etag: found.entry.etag, status: 'HIT' };
      }
      cacheEvent('cache.stale', key.namespace, found.layer);
      counters.staleServed++;
      void this.loader
        .load(key, name, loader, options)
        .catch((error: Error) => this.logger.warn(`background refresh of ${name} failed: ${error.message}`));
      return { value: valueOf(found.entry), etag: found.entry.etag, status: 'STALE' };
    }
    cacheEvent('cache.miss', key.namespace);
    const entry = await this.loader.load(key, name, loader, options);
    return { value: entry ? valueOf(entry as StoredEntry<T>) : null, etag: entry?.etag ?? '', status: 'MISS' };
  }

  /**
   * A fresh in-process copy, synchronously, or `undefined` (then use `peekShared` or
   * `getOrSetEntry`). This is the HTTP fast path: no Redis, no promise.
   */
  peekMemory<T>(key: CacheKey): FreshCopy<T> | undefined {
    const copy = this.enabled ? this.reader.peekMemory<T>(key) : undefined;
    if (copy) cacheEvent('cache.hit', key.namespace, 'l1');
    return copy;
  }

  /**
   * A fresh copy from Redis (kept in L1 from then on), or `undefined`: the fast path's second
   * step when memory lacks the key. Only hits are counted; a miss is counted by the
   * `getOrSetEntry` that follows (a stale entry is in L1 by then; an absent one costs that call a
   * second GET, small beside the load it leads to).
   */
  async peekShared<T>(key: CacheKey): Promise<FreshCopy<T> | undefined> {
    const copy = this.enabled ? await this.reader.peekShared<T>(key) : undefined;
    if (copy) cacheEvent('cache.hit', key.namespace, 'l2');
    return copy;
  }

  /** The cached value without loading: `undefined` on a miss. */
  async get<T>(key: CacheKey): Promise<T | null | undefined> {
    const found = await this.reader.locate<T>(await this.parts.entryName(key), true);
    return found ? valueOf(found.entry) : undefined;
  }

  /** The cached entry's ETag and freshness, without loading (for `If-None-Match`). */
  async peek(key: CacheKey): Promise<{ etag: string; stale: boolean } | undefined> {
    const found = await this.reader.locate(await this.parts.entryName(key), true);
    return found && { etag: found.entry.etag, stale: Date.now() >= found.entry.softExpiresAt };
  }

  /** Stores a value now: refresh-after-write with what the write just produced. */
  async set<T>(key: CacheKey, value: T | null, options: SetOptions = {}): Promise<void> {
    const name = await this.parts.entryName(key);
    // Loads already running read before this write: the invalidation keeps them from storing over it.
    await this.invalidator.apply(
      { type: 'keys', stems: [this.parts.stem(key)] },
      { write: async () => void (await this.writer.store(key, name, value, options)) },
    );
  }

  /**
   * Stores values read in bulk (warming) in Redis, as misses would: nothing is invalidated, an
   * entry already there is kept (it may be a newer write's), and nothing is stored if an
   * invalidation ran while `read` was reading. L1 fills from traffic. Returns how many were sent
   * (0 when skipped or Redis failed).
   */
  async fill<T>(
    read: () => Promise<{ key: CacheKey; value: T; tags?: string[] }[]>,
    options: Omit<SetOptions, 'tags' | 'l1'> = {},
  ): Promise<number> {
    return this.enabled ? this.writer.fill(read, options) : 0;
  }

  /**
   * Rows by numeric id in `namespace` (`null` for ids that do not exist): `getMany` over
   * `findByIds`, which returns the rows it found, each with its `id`.
   */
  getManyByIds<T extends { id: number }>(
    namespace: string,
    ids: readonly number[],
    findByIds: (ids: number[]) => Promise<T[]>,
    options: SetOptions = {},
  ): Promise<(T | null)[]> {
    return this.getMany<T>(
      ids.map((id) => ({ namespace, id })),
      async (missing) => new Map((await findByIds(missing.map((key) => key.id as number))).map((row) => [row.id, row])),
      options,
    );
  }

  /**
   * Values for many keys: one MGET for what L1 lacks, one loader call for the misses, which
   * returns the found values by encoded id (missing ones are cached as "not found").
   */
  async getMany<T>(
    keys: CacheKey[],
    loadMissing: (missing: CacheKey[]) => Promise<Map<CacheKey['id'], T>>,
    options: SetOptions = {},
  ): Promise<(T | null)[]> {
    const names = await Promise.all(keys.map((key) => this.parts.entryName(key)));
    const results = await this.reader.readMany<T>(keys, names);
    const missing = results.flatMap((value, index) => (value === undefined ? [index] : []));
    if (missing.length) {
      const loaded = await this.loader.withFence(keys[missing[0]], options.tags, () =>
        loadMissing(missing.map((index) => keys[index])),
      );
      for (const index of missing) results[index] = loaded.get(keys[index].id) ?? null;
      await this.writer.storeMany(
        missing.map((index) => ({ key: keys[index], name: names[index], value: results[index] as T | null })),
        options,
      );
    }
    return results as (T | null)[];
  }

  /** Deletes keys everywhere (delete-on-write). */
  async delete(...keys: CacheKey[]): Promise<void> {
    const names = await Promise.all(keys.map((key) => this.parts.entryName(key)));
    await this.invalidator.apply(
      { type: 'keys', stems: keys.map((key) => this.parts.stem(key)) },
      { write: () => this.parts.l2.attempt((redis) => unlinkKeys(redis, names)).then(() => undefined) },
    );
  }

  /**
   * Deletes every key written with any of these tags, never with KEYS. On a single server, tags
   * holding up to `batchSize` entries in all go in one call with the bus message (a hot path: a
   * checkout's products); the rest, and every tag on a cluster (entries sit in other slots), page
   * through SSCAN + UNLINK.
   */
  invalidateTags(tags: string[], options: InvalidationOptions & { batchSize?: number } = {}): Promise<number> {
    return this.invalidator.apply({ type: 'tags', tags, position: options.position }, options);
  }

  /** Invalidates a whole namespace in O(1): its version moves on, old keys age out. */
  bumpNamespace(namespace: string, options: InvalidationOptions = {}): Promise<number> {
    return this.invalidator.apply({ type: 'bump', namespace, position: options.position });
  }

  /**
   * For operators: deletes keys matching a glob under this app's prefix, with SCAN (never KEYS).
   * Every instance clears its L1, and for a while every miss loads at the current position (the
   * keys it deleted are not known in advance).
   */
  deleteByPattern(pattern: string, batchSize = 500): Promise<number> {
    return this.invalidator.apply(
      { type: 'cleared' },
      { write: () => unlinkMatching(this.parts.l2, `${this.parts.names.prefix}:${pattern}`, batchSize) },
    );
  }

  /**
   * Runs `work` on one instance of many (e.g. warming the hottest keys at start) under a lock
   * that is extended while the work runs. Returns false when another instance holds it.
   */
  warm(name: string, work: () => Promise<void>, lockTtlMs = 30_000): Promise<boolean> {
    return this.loader.warm(name, work, lockTtlMs);
  }
}
