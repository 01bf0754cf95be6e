import { mgetBuffers } from '../../common/redis/index.js';
import type { CacheKey } from '../cache-keys.js';
import type { CacheLayer } from '../cache-stats.js';
import type { StoredEntry } from './cache-codec.js';
import type { CacheParts } from './cache-parts.js';

export type Located<T> = { entry: StoredEntry<T>; layer: CacheLayer };

/** A fresh entry as the HTTP fast path sends it. */
export interface FreshCopy<T> {
  value: T | null;
  etag: string;
  /** The value as a JSON body, UTF-8. */
  body: () => Buffer;
}

/** Reading entries: L1, then Redis (copied into L1), counted per namespace. Never loads. */
export class EntryReader {
  constructor(private readonly parts: CacheParts) {}

  /** A fresh in-process copy, synchronously: no Redis, no promise. */
  peekMemory<T>(key: CacheKey): FreshCopy<T> | undefined {
    const { versions, l1, names, stats } = this.parts;
    const version = versions.peek(key.namespace);
    if (version === undefined) return undefined;
    const entry = l1.get<T>(names.entry(key.namespace, version, key.id));
    if (!entry || Date.now() >= entry.softExpiresAt) return undefined;
    stats.of(key.namespace).hits.l1++;
    return freshCopy(entry);
  }

  /** A fresh copy from Redis (kept in L1 from then on); only hits are counted. */
  async peekShared<T>(key: CacheKey): Promise<FreshCopy<T> | undefined> {
    const entry = await this.fromRedis<T>(await this.parts.entryName(key), true);
    if (!entry || Date.now() >= entry.softExpiresAt) return undefined;
    const counters = this.parts.stats.of(key.namespace);
    counters.misses.l1++;
    counters.hits.l2++;
    return freshCopy(entry);
  }

  async locate<T>(name: string, useL1: boolean): Promise<Located<T> | undefined> {
    const counters = this.parts.stats.of(this.parts.names.namespaceOf(name));
    if (useL1) {
      const entry = this.parts.l1.get<T>(name);
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

  /**
   * Fresh values of many entries: L1, then one MGET for what L1 lacks (found ones copied into
   * L1). `undefined` where neither has a fresh entry; each key counted as an L2 hit or miss.
   */
  async readMany<T>(keys: CacheKey[], names: string[]): Promise<(T | null | undefined)[]> {
    const { l1, l2, codec, stats } = this.parts;
    const results: (T | null | undefined)[] = names.map((name) => {
      const entry = l1.get<T>(name);
      return entry && Date.now() < entry.softExpiresAt ? valueOf(entry) : undefined;
    });
    const l2Indexes = results.flatMap((value, index) => (value === undefined ? [index] : []));
    if (l2Indexes.length) {
      const l2Names = l2Indexes.map((index) => names[index]);
      const fetched = await l2.attempt((redis) => mgetBuffers(redis, l2Names));
      l2Indexes.forEach((index, position) => {
        const buffer = fetched.ok ? fetched.value[position] : null;
        const entry = buffer ? codec.decode<T>(buffer) : undefined;
        if (entry && Date.now() < entry.softExpiresAt) {
          results[index] = valueOf(entry);
          l1.remember(names[index], this.parts.stem(keys[index]), entry, buffer!.length);
        }
      });
    }
    results.forEach((value, index) => stats.of(keys[index].namespace)[value === undefined ? 'misses' : 'hits'].l2++);
    return results;
  }

  /** The entry in Redis unless past its hard expiry; copied into L1 when `keep`. */
  private async fromRedis<T>(name: string, keep: boolean): Promise<StoredEntry<T> | undefined> {
    const fetched = await this.parts.l2.attempt((redis) => redis.getBuffer(name));
    if (!fetched.ok || !fetched.value) return undefined;
    const entry = this.parts.codec.decode<T>(fetched.value);
    if (!entry || Date.now() >= entry.hardExpiresAt) return undefined;
    if (keep) this.parts.l1.remember(name, this.parts.names.stemOf(name), entry, fetched.value.length);
    return entry;
  }
}

export function valueOf<T>(entry: StoredEntry<T>): T | null {
  return entry.negative ? null : entry.value;
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
