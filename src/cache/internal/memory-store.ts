import { LRUCache } from 'lru-cache';
import type { CacheStats } from '../cache-stats.js';
import type { StoredEntry } from './cache-codec.js';

type MemoryEntry = StoredEntry & { size: number; stem: string };

/** L1: in-process copies, bounded by entries and bytes, each living at most `ttlMs`. */
export class MemoryStore {
  private readonly lru: LRUCache<string, MemoryEntry>;

  constructor(options: { maxEntries: number; maxBytes: number; ttlMs: number }, stats: CacheStats) {
    this.ttlMs = options.ttlMs;
    this.lru = new LRUCache({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => entry.size,
      dispose: (_entry, _name, reason) => {
        if (reason === 'evict') stats.l1Evictions++;
      },
    });
  }

  private readonly ttlMs: number;

  get<T>(name: string): StoredEntry<T> | undefined {
    return this.lru.get(name) as StoredEntry<T> | undefined;
  }

  has(name: string): boolean {
    return this.lru.has(name);
  }

  /** `stem` is the version-free name (`namespace:id`) that invalidations address. */
  remember(name: string, stem: string, entry: StoredEntry, size: number): void {
    const ttl = Math.min(this.ttlMs, entry.hardExpiresAt - Date.now());
    if (ttl > 0) this.lru.set(name, { ...entry, size: Math.max(1, size), stem }, { ttl });
  }

  dropStems(stems: string[]): void {
    const wanted = new Set(stems);
    this.dropWhere((_entry, stem) => wanted.has(stem));
  }

  dropTagged(tags: string[]): void {
    this.dropWhere((entry) => entry.tags.some((tag) => tags.includes(tag)));
  }

  dropNamespace(namespace: string): void {
    this.dropWhere((_entry, stem) => stem.startsWith(`${namespace}:`));
  }

  clear(): void {
    this.lru.clear();
  }

  private dropWhere(matches: (entry: StoredEntry, stem: string) => boolean): void {
    for (const [name, entry] of this.lru.entries()) if (matches(entry, entry.stem)) this.lru.delete(name);
  }
}
