import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { isCluster, mgetBuffers, transactBySlot, unlinkKeys, type KeyedWrite } from '../common/redis/index.js';
import { CacheNames, type CacheKey } from './cache-keys.js';
import { CACHE_MODULE_OPTIONS } from './cache.module-definition.js';
import type { CacheModuleOptions } from './cache.options.js';
import { CacheStats, type CacheLayer } from './cache-stats.js';
import { CacheBus, type BusMessage } from './internal/cache-bus.js';
import { CacheCodec, type StoredEntry } from './internal/cache-codec.js';
import { Fences } from './internal/fences.js';
import { FillWaiters } from './internal/fill-waiters.js';
import { MemoryStore } from './internal/memory-store.js';
import { NamespaceVersions } from './internal/namespace-versions.js';
import { RedisStore, unlinkMatching, unlinkPaged, type CircuitStatus } from './internal/redis-store.js';

/** The fence of `deleteByPattern`, which every load honours. */
const ALL = '*';

export interface SetOptions {
  /** Freshness. @default the module's `defaultTtlMs` */
  ttlMs?: number;
  /** How long a stale value may be served after `ttlMs` while one refresh runs. */
  graceMs?: number;
  /** Tags for bulk invalidation (`invalidateTags`). */
  tags?: string[];
  /** Keep an in-process copy. @default true */
  l1?: boolean;
}

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

type Loader<T> = () => Promise<T | null | undefined>;
type Located<T> = { entry: StoredEntry<T>; layer: CacheLayer };

/**
 * L1 (in-process LRU) over L2 (Redis), kept in sync across instances by a pub/sub bus, with
 * stampede protection (single-flight + a distributed lock with double-check), stale-while-
 * revalidate, negative caching, tags, versioned namespaces, and a circuit that turns a dead Redis
 * into "memory and loaders only" instead of errors.
 */
@Injectable()
export class CacheService implements OnModuleInit, OnApplicationShutdown {
  readonly stats = new CacheStats();
  readonly instanceId = randomUUID();
  private readonly logger = new Logger('Cache');
  private readonly names: CacheNames;
  private readonly codec: CacheCodec;
  private readonly l2: RedisStore;
  private readonly bus: CacheBus;
  private readonly l1: MemoryStore;
  private readonly versions: NamespaceVersions;
  private readonly fences: Fences;
  private readonly inFlight = new Map<string, Promise<StoredEntry | undefined>>();
  private readonly fills = new FillWaiters();
  /** Bumped by every invalidation: a load that straddles one must not store what it read. */
  private epoch = 0;
  private readonly settings;

  constructor(@Inject(CACHE_MODULE_OPTIONS) private readonly options: CacheModuleOptions) {
    this.settings = {
      ttlMs: options.defaultTtlMs ?? 60_000,
      graceMs: options.defaultGraceMs ?? 30_000,
      negativeTtlMs: options.negativeTtlMs ?? 5_000,
      jitter: options.ttlJitter ?? 0.1,
      l1TtlMs: options.l1?.ttlMs ?? 10_000,
      loaderTimeoutMs: options.loaderTimeoutMs ?? 5_000,
      lockTtlMs: options.lockTtlMs ?? 10_000,
      lockWaitMs: options.lockWaitMs ?? 3_000,
    };
    this.names = new CacheNames(options.prefix ?? 'store-api:development');
    this.codec = new CacheCodec(options.compressAboveBytes ?? 1_024, options.customTypes);
    this.l2 = new RedisStore(
      options.redis,
      {
        commandTimeoutMs: options.commandTimeoutMs ?? 100,
        threshold: options.circuitFailureThreshold ?? 5,
        halfOpenAfterMs: options.circuitHalfOpenAfterMs ?? 2_000,
      },
      this.stats,
    );
    this.l1 = new MemoryStore(
      {
        maxEntries: options.l1?.maxEntries ?? 10_000,
        maxBytes: options.l1?.maxBytes ?? 64 * 1024 * 1024,
        ttlMs: this.settings.l1TtlMs,
      },
      this.stats,
    );
    this.versions = new NamespaceVersions(this.names, this.l2);
    this.fences = new Fences(options.fenceMs ?? 10_000);
    this.bus = new CacheBus(
      options.redis,
      this.names.channel,
      this.instanceId,
      (message) => this.onBusMessage(message),
      () => this.resync(),
    );
  }

  async onModuleInit(): Promise<void> {
    await this.l2.ready();
  }

  onApplicationShutdown(): void {
    this.bus.close();
    this.l2.close();
  }

  /** False when the module is configured off: every read goes to its loader. */
  get enabled(): boolean {
    return this.options.enabled !== false;
  }

  get circuit(): CircuitStatus {
    return this.l2.circuit;
  }

  /** Whether Redis answers now (false at once while the circuit is open). */
  async ping(): Promise<boolean> {
    return (await this.l2.attempt((redis) => redis.ping())).ok;
  }

  /** The cached value, or the loader's (stored for next time). `null` = "not found" (cached briefly). */
  async getOrSet<T>(key: CacheKey, loader: Loader<T>, options: SetOptions = {}): Promise<T | null> {
    return (await this.getOrSetEntry(key, loader, options)).value;
  }

  /** As `getOrSet`, with the entry's ETag and whether it was a hit, stale, or a miss. */
  async getOrSetEntry<T>(key: CacheKey, loader: Loader<T>, options: SetOptions = {}): Promise<CachedEntry<T>> {
    if (this.options.enabled === false) {
      const value = (await loader()) ?? null;
      return { value, etag: this.codec.serializeValue(value).etag, status: 'MISS' };
    }
    const name = await this.entryName(key);
    const counters = this.stats.of(key.namespace);
    const found = await this.locate<T>(name, options.l1 !== false);
    if (found) {
      counters.hits[found.layer]++;
      if (Date.now() < found.entry.softExpiresAt)
        return { value: valueOf(found.entry), etag: found.entry.etag, status: 'HIT' };
      counters.staleServed++;
      void this.load(key, name, loader, options).catch((error: Error) =>
        this.logger.warn(`background refresh of ${name} failed: ${error.message}`),
      );
      return { value: valueOf(found.entry), etag: found.entry.etag, status: 'STALE' };
    }
    const entry = await this.load(key, name, loader, options);
    return { value: entry ? valueOf(entry as StoredEntry<T>) : null, etag: entry?.etag ?? '', status: 'MISS' };
  }

  /**
   * A fresh in-process copy, synchronously, or `undefined` (then use `peekShared` or
   * `getOrSetEntry`). This is the HTTP fast path: no Redis, no promise.
   */
  peekMemory<T>(key: CacheKey): FreshCopy<T> | undefined {
    if (this.options.enabled === false) return undefined;
    const version = this.versions.peek(key.namespace);
    if (version === undefined) return undefined;
    const entry = this.l1.get<T>(this.names.entry(key.namespace, version, key.id));
    if (!entry || Date.now() >= entry.softExpiresAt) return undefined;
    this.stats.of(key.namespace).hits.l1++;
    return freshCopy(entry);
  }

  /**
   * A fresh copy from Redis (kept in L1 from then on), or `undefined`: the fast path's second
   * step when memory lacks the key. Only hits are counted; a miss is counted by the
   * `getOrSetEntry` that follows (a stale entry is in L1 by then; an absent one costs that call a
   * second GET, small beside the load it leads to).
   */
  async peekShared<T>(key: CacheKey): Promise<FreshCopy<T> | undefined> {
    if (this.options.enabled === false) return undefined;
    const entry = await this.fromRedis<T>(await this.entryName(key), true);
    if (!entry || Date.now() >= entry.softExpiresAt) return undefined;
    const counters = this.stats.of(key.namespace);
    counters.misses.l1++;
    counters.hits.l2++;
    return freshCopy(entry);
  }

  /** The cached value without loading: `undefined` on a miss. */
  async get<T>(key: CacheKey): Promise<T | null | undefined> {
    const found = await this.locate<T>(await this.entryName(key), true);
    return found ? valueOf(found.entry) : undefined;
  }

  /** The cached entry's ETag and freshness, without loading (for `If-None-Match`). */
  async peek(key: CacheKey): Promise<{ etag: string; stale: boolean } | undefined> {
    const found = await this.locate(await this.entryName(key), true);
    return found && { etag: found.entry.etag, stale: Date.now() >= found.entry.softExpiresAt };
  }

  /** Stores a value now: refresh-after-write with what the write just produced. */
  async set<T>(key: CacheKey, value: T | null, options: SetOptions = {}): Promise<void> {
    const name = await this.entryName(key);
    const stem = this.names.stem(key.namespace, key.id);
    const position = await this.invalidationPosition();
    // Loads already running read before this write: they must not store over it.
    this.epoch++;
    this.fences.raise(`key:${stem}`, position);
    this.l1.dropStems([stem]);
    await this.store(key, name, value, options);
    await this.publish({ type: 'keys', stems: [stem], position });
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
    if (this.options.enabled === false) return 0;
    const epoch = this.epoch;
    const items = await read();
    if (epoch !== this.epoch || !items.length) return 0;
    const named = await Promise.all(items.map(async (item) => ({ ...item, name: await this.entryName(item.key) })));
    const entryWrites: KeyedWrite[] = [];
    const tagWrites: KeyedWrite[] = [];
    for (const { name, value, tags = [] } of named) {
      const { entry, json } = this.encodeEntry(value, { ...options, tags });
      const buffer = this.codec.encode(entry, json);
      const ttl = entry.hardExpiresAt - Date.now();
      entryWrites.push({ key: name, write: (tx) => tx.set(name, buffer, 'PX', ttl, 'NX') });
      tagWrites.push(...this.tagWrites(name, tags, ttl));
    }
    const written = await this.l2.attempt((redis) => transactBySlot(redis, [tagWrites, entryWrites]), {
      deadlineMs: 5_000,
    });
    if (!written.ok) return 0;
    for (const { key } of named) this.stats.of(key.namespace).warmed++;
    return named.length;
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
    const names = await Promise.all(keys.map((key) => this.entryName(key)));
    const results: (T | null | undefined)[] = names.map((name) => {
      const entry = this.l1.get<T>(name);
      return entry && Date.now() < entry.softExpiresAt ? valueOf(entry) : undefined;
    });
    const l2Indexes = results.flatMap((value, index) => (value === undefined ? [index] : []));
    if (l2Indexes.length) {
      const l2Names = l2Indexes.map((index) => names[index]);
      const fetched = await this.l2.attempt((redis) => mgetBuffers(redis, l2Names));
      l2Indexes.forEach((index, position) => {
        const buffer = fetched.ok ? fetched.value[position] : null;
        const entry = buffer ? this.codec.decode<T>(buffer) : undefined;
        if (entry && Date.now() < entry.softExpiresAt) {
          results[index] = valueOf(entry);
          this.l1.remember(names[index], this.names.stem(keys[index].namespace, keys[index].id), entry, buffer!.length);
        }
      });
    }
    const missing = results.flatMap((value, index) => (value === undefined ? [index] : []));
    for (const index of results.keys())
      this.stats.of(keys[index].namespace)[missing.includes(index) ? 'misses' : 'hits'].l2++;
    if (missing.length) {
      const loaded = await this.withFence(keys[missing[0]], options.tags, () =>
        loadMissing(missing.map((index) => keys[index])),
      );
      for (const index of missing) results[index] = loaded.get(keys[index].id) ?? null;
      await this.storeMany(
        missing.map((index) => ({ key: keys[index], name: names[index], value: results[index] as T | null })),
        options,
      );
    }
    return results as (T | null)[];
  }

  /** Deletes keys everywhere (delete-on-write). */
  async delete(...keys: CacheKey[]): Promise<void> {
    const names = await Promise.all(keys.map((key) => this.entryName(key)));
    const stems = keys.map((key) => this.names.stem(key.namespace, key.id));
    const position = await this.invalidationPosition();
    this.epoch++;
    stems.forEach((stem) => this.fences.raise(`key:${stem}`, position));
    this.l1.dropStems(stems);
    await this.l2.attempt((redis) => unlinkKeys(redis, names));
    await this.publish({ type: 'keys', stems, position });
  }

  /**
   * Deletes every key written with any of these tags, never with KEYS. On a single server, tags
   * holding up to `batchSize` entries in all go in one call with the bus message (a hot path: a
   * checkout's products); the rest, and every tag on a cluster (entries sit in other slots), page
   * through SSCAN + UNLINK.
   */
  async invalidateTags(tags: string[], options: InvalidationOptions & { batchSize?: number } = {}): Promise<number> {
    const { batchSize = 500 } = options;
    const position = options.position ?? (await this.invalidationPosition());
    this.epoch++;
    tags.forEach((tag) => this.fences.raise(`tag:${tag}`, position));
    this.l1.dropTagged(tags);
    const message: BusMessage = { type: 'tags', tags, position };
    let deleted = 0;
    let paged = tags.map((tag) => this.names.tag(tag));
    if (!isCluster(this.l2.redis) && paged.length) {
      const dropped = await this.l2.attempt((redis) =>
        redis.dropTags(paged.length, ...paged, batchSize, this.names.channel, this.bus.encode(message)),
      );
      if (!dropped.ok) return 0; // Redis is away: fences and TTLs stand in, as when the calls below fail
      [deleted, paged] = dropped.value;
      if (!paged.length) return deleted;
    }
    for (const tagKey of paged) {
      deleted += await unlinkPaged(this.l2, (cursor) => this.l2.redis.sscan(tagKey, cursor, 'COUNT', batchSize));
      await this.l2.attempt((redis) => redis.unlink(tagKey));
    }
    await this.publish(message);
    return deleted;
  }

  /** Invalidates a whole namespace in O(1): its version moves on, old keys age out. */
  async bumpNamespace(namespace: string, options: InvalidationOptions = {}): Promise<number> {
    const position = options.position ?? (await this.invalidationPosition());
    this.epoch++;
    this.fences.raise(`ns:${namespace}`, position);
    const version = await this.versions.bump(namespace);
    this.l1.dropNamespace(namespace);
    await this.publish({ type: 'bump', namespace, version, position });
    return version;
  }

  /**
   * For operators: deletes keys matching a glob under this app's prefix, with SCAN (never KEYS).
   * Every instance clears its L1, and for a while every miss loads at the current position (the
   * keys it deleted are not known in advance).
   */
  async deleteByPattern(pattern: string, batchSize = 500): Promise<number> {
    const position = await this.invalidationPosition();
    this.epoch++;
    this.fences.raise(ALL, position);
    this.l1.clear();
    const deleted = await unlinkMatching(this.l2, `${this.names.prefix}:${pattern}`, batchSize);
    await this.publish({ type: 'cleared', position });
    return deleted;
  }

  /**
   * Runs `work` on one instance of many (e.g. warming the hottest keys at start) under a lock
   * that is extended while the work runs. Returns false when another instance holds it.
   */
  async warm(name: string, work: () => Promise<void>, lockTtlMs = 30_000): Promise<boolean> {
    const lockKey = this.names.warm(name);
    const token = randomUUID();
    const acquired = await this.l2.attempt((redis) => redis.set(lockKey, token, 'PX', lockTtlMs, 'NX'));
    if (acquired.ok && acquired.value !== 'OK') return false;
    const keepAlive = setInterval(
      () => void this.l2.attempt((redis) => redis.extendLock(lockKey, token, lockTtlMs)),
      lockTtlMs / 3,
    );
    try {
      await work();
      return true;
    } finally {
      clearInterval(keepAlive);
      await this.l2.attempt((redis) => redis.releaseLock(lockKey, token));
    }
  }

  private async locate<T>(name: string, useL1: boolean): Promise<Located<T> | undefined> {
    const counters = this.stats.of(this.names.namespaceOf(name));
    if (useL1) {
      const entry = this.l1.get<T>(name);
      if (entry) return { entry, layer: 'l1' };
      counters.misses.l1++;
    }
    const entry = await this.fromRedis<T>(name, useL1);
    if (!entry) {
      counters.misses.l2++;
      return undefined;
    }
    return { entry, layer: 'l2' };
  }

  /** The entry in Redis unless past its hard expiry; copied into L1 when `keep`. */
  private async fromRedis<T>(name: string, keep: boolean): Promise<StoredEntry<T> | undefined> {
    const fetched = await this.l2.attempt((redis) => redis.getBuffer(name));
    if (!fetched.ok || !fetched.value) return undefined;
    const entry = this.codec.decode<T>(fetched.value);
    if (!entry || Date.now() >= entry.hardExpiresAt) return undefined;
    if (keep) this.l1.remember(name, this.names.stemOf(name), entry, fetched.value.length);
    return entry;
  }

  /** One load per key per process; across processes, one per key under a Redis lock. */
  private load<T>(
    key: CacheKey,
    name: string,
    loader: Loader<T>,
    options: SetOptions,
  ): Promise<StoredEntry<T> | undefined> {
    let running = this.inFlight.get(name) as Promise<StoredEntry<T> | undefined> | undefined;
    if (!running) {
      running = this.loadAcrossInstances(key, name, loader, options).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, running);
    }
    return running;
  }

  private async loadAcrossInstances<T>(
    key: CacheKey,
    name: string,
    loader: Loader<T>,
    options: SetOptions,
  ): Promise<StoredEntry<T> | undefined> {
    const lockKey = this.names.lock(name);
    const token = randomUUID();
    const deadline = Date.now() + this.settings.lockWaitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 400)) {
      const lock = await this.l2.attempt((redis) => redis.set(lockKey, token, 'PX', this.settings.lockTtlMs, 'NX'));
      if (!lock.ok || lock.value === 'OK') {
        try {
          // Double-check: another instance may have filled it between our miss and our lock.
          const filled = lock.ok ? await this.locate<T>(name, false) : undefined;
          if (filled && Date.now() < filled.entry.softExpiresAt) return filled.entry;
          return await this.runLoader(key, name, loader, options, filled?.entry);
        } finally {
          if (lock.ok) await this.l2.attempt((redis) => redis.releaseLock(lockKey, token));
        }
      }
      this.stats.of(key.namespace).lockWaits++;
      if (Date.now() >= deadline) return this.runLoader(key, name, loader, options);
      await this.fills.wait(name, Math.min(delay, deadline - Date.now()));
      const filled = await this.locate<T>(name, false);
      if (filled && Date.now() < filled.entry.softExpiresAt) return filled.entry;
    }
  }

  private async runLoader<T>(
    key: CacheKey,
    name: string,
    loader: Loader<T>,
    options: SetOptions,
    stale?: StoredEntry<T>,
  ): Promise<StoredEntry<T> | undefined> {
    const counters = this.stats.of(key.namespace);
    const epoch = this.epoch;
    const started = performance.now();
    let value: T | null;
    try {
      value = (await this.withTimeout(this.withFence(key, options.tags, loader))) ?? null;
    } catch (error) {
      // Grace: a failing source is answered with the last good value while it is servable.
      if (stale && Date.now() < stale.hardExpiresAt) {
        this.stats.staleOnLoaderError++;
        return stale;
      }
      throw error;
    } finally {
      counters.loads++;
      counters.loadMs += performance.now() - started;
    }
    // An invalidation while we loaded: what we read may predate it. Answer, but do not store.
    if (epoch !== this.epoch) return this.encodeEntry(value, options).entry as StoredEntry<T>;
    const entry = await this.store(key, name, value, options);
    void this.publish({ type: 'filled', key: name });
    this.fills.wake(name);
    return entry;
  }

  private async store<T>(key: CacheKey, name: string, value: T | null, options: SetOptions): Promise<StoredEntry<T>> {
    const [entry] = await this.storeMany([{ key, name, value }], options);
    return entry;
  }

  /**
   * Writes entries and their tag sets in one MULTI (on a cluster: one per slot, tag sets first,
   * so an entry is never in Redis without its tags) and keeps their L1 copies.
   */
  private async storeMany<T>(
    items: { key: CacheKey; name: string; value: T | null }[],
    options: SetOptions,
  ): Promise<StoredEntry<T>[]> {
    const encoded = items.map((item) => {
      const { entry, json } = this.encodeEntry(item.value, options);
      return { ...item, entry, buffer: this.codec.encode(entry, json) };
    });
    const tagWrites: KeyedWrite[] = [];
    const entryWrites: KeyedWrite[] = [];
    for (const { name, entry, buffer } of encoded) {
      const ttl = entry.hardExpiresAt - Date.now();
      entryWrites.push({ key: name, write: (tx) => tx.set(name, buffer, 'PX', ttl) });
      tagWrites.push(...this.tagWrites(name, entry.tags, ttl));
    }
    await this.l2.attempt((redis) => transactBySlot(redis, [tagWrites, entryWrites]));
    if (options.l1 !== false) {
      for (const { key, name, entry, buffer } of encoded)
        this.l1.remember(name, this.names.stem(key.namespace, key.id), entry, buffer.length);
    }
    return encoded.map(({ entry }) => entry as StoredEntry<T>);
  }

  /**
   * Adds an entry to its tags' sets. A set must outlive its entries, and no longer: its TTL is set
   * when it has none (NX) and only ever raised to this entry's (GT), so it expires with its
   * longest-lived entry instead of being renewed by every add (Redis ≥ 7).
   */
  private tagWrites(name: string, tags: readonly string[], ttlMs: number): KeyedWrite[] {
    return tags.map((tag) => {
      const key = this.names.tag(tag);
      return { key, write: (tx) => tx.sadd(key, name).pexpire(key, ttlMs, 'NX').pexpire(key, ttlMs, 'GT') };
    });
  }

  private encodeEntry<T>(value: T | null, options: SetOptions): { entry: StoredEntry<T | null>; json: string } {
    const negative = value === null || value === undefined;
    const base = negative ? this.settings.negativeTtlMs : (options.ttlMs ?? this.settings.ttlMs);
    const ttl = Math.max(1, Math.round(base * (1 + this.settings.jitter * (2 * Math.random() - 1))));
    const now = Date.now();
    const { json, etag } = this.codec.serializeValue(negative ? null : value);
    const tags = options.tags ?? [];
    return {
      entry: {
        value: negative ? null : value,
        softExpiresAt: now + ttl,
        hardExpiresAt: now + ttl + (negative ? 0 : (options.graceMs ?? this.settings.graceMs)),
        etag,
        tags,
        negative,
      },
      json,
    };
  }

  private async withFence<T>(key: CacheKey, tags: string[] | undefined, load: () => Promise<T>): Promise<T> {
    const position = this.fences.highest([
      ALL,
      `ns:${key.namespace}`,
      `key:${this.names.stem(key.namespace, key.id)}`,
      ...(tags ?? []).map((tag) => `tag:${tag}`),
    ]);
    return position && this.options.withMinimumPosition ? this.options.withMinimumPosition(position, load) : load();
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`cache loader timed out after ${this.settings.loaderTimeoutMs} ms`)),
        this.settings.loaderTimeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private async entryName(key: CacheKey): Promise<string> {
    return this.names.entry(key.namespace, await this.versions.get(key.namespace), key.id);
  }

  private async invalidationPosition(): Promise<string | undefined> {
    return this.options.currentPosition?.().catch(() => undefined);
  }

  private async publish(message: BusMessage): Promise<void> {
    await this.l2.attempt((redis) => redis.publish(this.names.channel, this.bus.encode(message)));
  }

  private onBusMessage(message: BusMessage): void {
    switch (message.type) {
      case 'filled':
        return this.fills.wake(message.key);
      case 'keys':
        this.epoch++;
        message.stems.forEach((stem) => this.fences.raise(`key:${stem}`, message.position));
        return this.l1.dropStems(message.stems);
      case 'tags':
        this.epoch++;
        message.tags.forEach((tag) => this.fences.raise(`tag:${tag}`, message.position));
        return this.l1.dropTagged(message.tags);
      case 'cleared':
        this.epoch++;
        this.fences.raise(ALL, message.position);
        return this.l1.clear();
      case 'bump':
        this.epoch++;
        this.fences.raise(`ns:${message.namespace}`, message.position);
        this.versions.remember(message.namespace, message.version);
        return this.l1.dropNamespace(message.namespace);
    }
  }

  private resync(): void {
    this.stats.busResyncs++;
    this.epoch++;
    this.l1.clear();
    this.versions.clear();
  }
}

/** A fresh entry as the HTTP fast path sends it. */
export interface FreshCopy<T> {
  value: T | null;
  etag: string;
  /** The value as a JSON body, UTF-8. */
  body: () => Buffer;
}

function freshCopy<T>(entry: StoredEntry<T> & { body?: Buffer }): FreshCopy<T> {
  // Serialized and encoded once per in-memory copy, not once per hit (a string body is encoded
  // to UTF-8 on every socket write).
  return {
    value: valueOf(entry),
    etag: entry.etag,
    body: () => (entry.body ??= Buffer.from(JSON.stringify(valueOf(entry)))),
  };
}

function valueOf<T>(entry: StoredEntry<T>): T | null {
  return entry.negative ? null : entry.value;
}
