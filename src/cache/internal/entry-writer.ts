import { transactBySlot, type KeyedWrite } from '../../common/redis/index.js';
import type { CacheKey } from '../cache-keys.js';
import type { StoredEntry } from './cache-codec.js';
import type { CacheParts } from './cache-parts.js';

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

export interface NamedValue<T> {
  key: CacheKey;
  name: string;
  value: T | null;
}

/** Writing entries: encoded with their TTLs, stored with their tag sets, copied into L1. */
export class EntryWriter {
  constructor(private readonly parts: CacheParts) {}

  async store<T>(key: CacheKey, name: string, value: T | null, options: SetOptions): Promise<StoredEntry<T>> {
    const [entry] = await this.storeMany([{ key, name, value }], options);
    return entry;
  }

  /**
   * Writes entries and their tag sets in one MULTI (on a cluster: one per slot, tag sets first,
   * so an entry is never in Redis without its tags) and keeps their L1 copies.
   */
  async storeMany<T>(items: NamedValue<T>[], options: SetOptions): Promise<StoredEntry<T>[]> {
    const encoded = items.map((item) => {
      const { entry, json } = this.encode(item.value, options);
      return { ...item, entry, buffer: this.parts.codec.encode(entry, json) };
    });
    const tagWrites: KeyedWrite[] = [];
    const entryWrites: KeyedWrite[] = [];
    for (const { name, entry, buffer } of encoded) {
      const ttl = entry.hardExpiresAt - Date.now();
      entryWrites.push({ key: name, write: (tx) => tx.set(name, buffer, 'PX', ttl) });
      tagWrites.push(...this.tagWrites(name, entry.tags, ttl));
    }
    await this.parts.l2.attempt((redis) => transactBySlot(redis, [tagWrites, entryWrites]));
    if (options.l1 !== false) {
      for (const { key, name, entry, buffer } of encoded)
        this.parts.l1.remember(name, this.parts.stem(key), entry, buffer.length);
    }
    return encoded.map(({ entry }) => entry as StoredEntry<T>);
  }

  /**
   * Stores values read in bulk (warming) in Redis, as misses would: nothing is invalidated, an
   * entry already there is kept (SET NX: it may be a newer write's), and nothing is stored if an
   * invalidation ran while `read` was reading. Returns how many were sent (0 when skipped or
   * Redis failed).
   */
  async fill<T>(
    read: () => Promise<{ key: CacheKey; value: T; tags?: string[] }[]>,
    options: Omit<SetOptions, 'tags' | 'l1'>,
  ): Promise<number> {
    const epoch = this.parts.epoch;
    const items = await read();
    if (epoch !== this.parts.epoch || !items.length) return 0;
    const named = await Promise.all(
      items.map(async (item) => ({ ...item, name: await this.parts.entryName(item.key) })),
    );
    const entryWrites: KeyedWrite[] = [];
    const tagWrites: KeyedWrite[] = [];
    for (const { name, value, tags = [] } of named) {
      const { entry, json } = this.encode(value, { ...options, tags });
      const buffer = this.parts.codec.encode(entry, json);
      const ttl = entry.hardExpiresAt - Date.now();
      entryWrites.push({ key: name, write: (tx) => tx.set(name, buffer, 'PX', ttl, 'NX') });
      tagWrites.push(...this.tagWrites(name, tags, ttl));
    }
    const written = await this.parts.l2.attempt((redis) => transactBySlot(redis, [tagWrites, entryWrites]), {
      deadlineMs: 5_000,
    });
    if (!written.ok) return 0;
    for (const { key } of named) this.parts.stats.of(key.namespace).warmed++;
    return named.length;
  }

  /** The entry for a value: TTL with jitter (short for "not found"), grace, ETag, tags. */
  encode<T>(value: T | null, options: SetOptions): { entry: StoredEntry<T | null>; json: string } {
    const { settings, codec } = this.parts;
    const negative = value === null || value === undefined;
    const base = negative ? settings.negativeTtlMs : (options.ttlMs ?? settings.ttlMs);
    const ttl = Math.max(1, Math.round(base * (1 + settings.jitter * (2 * Math.random() - 1))));
    const now = Date.now();
    const { json, etag } = codec.serializeValue(negative ? null : value);
    return {
      entry: {
        value: negative ? null : value,
        softExpiresAt: now + ttl,
        hardExpiresAt: now + ttl + (negative ? 0 : (options.graceMs ?? settings.graceMs)),
        etag,
        tags: options.tags ?? [],
        negative,
      },
      json,
    };
  }

  /**
   * Adds an entry to its tags' sets. A set must outlive its entries, and no longer: its TTL is set
   * when it has none (NX) and only ever raised to this entry's (GT), so it expires with its
   * longest-lived entry instead of being renewed by every add (Redis ≥ 7).
   */
  private tagWrites(name: string, tags: readonly string[], ttlMs: number): KeyedWrite[] {
    return tags.map((tag) => {
      const key = this.parts.names.tag(tag);
      return { key, write: (tx) => tx.sadd(key, name).pexpire(key, ttlMs, 'NX').pexpire(key, ttlMs, 'GT') };
    });
  }
}
