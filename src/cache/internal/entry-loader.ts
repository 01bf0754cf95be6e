import { randomUUID } from 'node:crypto';
import { withDeadline } from '../../common/deadline.js';
import type { CacheKey } from '../cache-keys.js';
import type { StoredEntry } from './cache-codec.js';
import type { CacheParts } from './cache-parts.js';
import type { EntryReader } from './entry-reader.js';
import type { EntryWriter, SetOptions } from './entry-writer.js';
import { ALL, fenceNames } from './invalidation.js';
import { cacheEvent, inSpan } from '../../tracing/trace-context.js';

export type Loader<T> = () => Promise<T | null | undefined>;

/**
 * Loading entries: one load per key per process (single-flight); across processes one per key
 * under a Redis lock with a double-check, the others waiting for its "filled" message; a failing
 * loader answered with the stale entry while it is servable; reads fenced after invalidations.
 */
export class EntryLoader {
  private readonly inFlight = new Map<string, Promise<StoredEntry | undefined>>();

  constructor(
    private readonly parts: CacheParts,
    private readonly reader: EntryReader,
    private readonly writer: EntryWriter,
    /** Tells the other instances that `name` was filled (wakes their waiters). */
    private readonly announceFilled: (name: string) => void,
  ) {}

  load<T>(key: CacheKey, name: string, loader: Loader<T>, options: SetOptions): Promise<StoredEntry<T> | undefined> {
    let running = this.inFlight.get(name) as Promise<StoredEntry<T> | undefined> | undefined;
    if (!running) {
      running = this.loadAcrossInstances(key, name, loader, options).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, running);
    }
    return running;
  }

  /** Runs `load` so that its reads see at least the highest live fence of the key. */
  withFence<T>(key: CacheKey, tags: string[] | undefined, load: () => Promise<T>): Promise<T> {
    const position = this.parts.fences.highest([ALL, ...fenceNames.entry(key.namespace, this.parts.stem(key), tags)]);
    const { withMinimumPosition } = this.parts.options;
    return position && withMinimumPosition ? withMinimumPosition(position, load) : load();
  }

  /**
   * Runs `work` on one instance of many under a lock extended while it runs. False when another
   * instance holds it.
   */
  async warm(name: string, work: () => Promise<void>, lockTtlMs: number): Promise<boolean> {
    const { l2, names } = this.parts;
    const lockKey = names.warm(name);
    const token = randomUUID();
    const acquired = await l2.attempt((redis) => redis.set(lockKey, token, 'PX', lockTtlMs, 'NX'));
    if (acquired.ok && acquired.value !== 'OK') return false;
    const keepAlive = setInterval(
      () => void l2.attempt((redis) => redis.extendLock(lockKey, token, lockTtlMs)),
      lockTtlMs / 3,
    );
    try {
      await work();
      return true;
    } finally {
      clearInterval(keepAlive);
      await l2.attempt((redis) => redis.releaseLock(lockKey, token));
    }
  }

  private async loadAcrossInstances<T>(
    key: CacheKey,
    name: string,
    loader: Loader<T>,
    options: SetOptions,
  ): Promise<StoredEntry<T> | undefined> {
    const { l2, names, settings, stats, fills } = this.parts;
    const lockKey = names.lock(name);
    const token = randomUUID();
    const deadline = Date.now() + settings.lockWaitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 400)) {
      const lock = await l2.attempt((redis) => redis.set(lockKey, token, 'PX', settings.lockTtlMs, 'NX'));
      if (!lock.ok || lock.value === 'OK') {
        try {
          // Double-check: another instance may have filled it between our miss and our lock.
          const filled = lock.ok ? await this.reader.locate<T>(name, false) : undefined;
          if (filled && Date.now() < filled.entry.softExpiresAt) return filled.entry;
          return await this.runLoader(key, name, loader, options, filled?.entry);
        } finally {
          if (lock.ok) await l2.attempt((redis) => redis.releaseLock(lockKey, token));
        }
      }
      stats.of(key.namespace).lockWaits++;
      cacheEvent('cache.lock_wait', key.namespace);
      if (Date.now() >= deadline) return this.runLoader(key, name, loader, options);
      await fills.wait(name, Math.min(delay, deadline - Date.now()));
      const filled = await this.reader.locate<T>(name, false);
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
    const { settings, stats } = this.parts;
    const counters = stats.of(key.namespace);
    const epoch = this.parts.epoch;
    const started = performance.now();
    let value: T | null;
    try {
      // Its own span, so the loader's queries hang under "cache.load" in the request's trace.
      value =
        (await withDeadline(
          inSpan('cache.load', { attributes: { 'cache.namespace': key.namespace } }, () =>
            this.withFence(key, options.tags, loader),
          ),
          settings.loaderTimeoutMs,
          'cache loader timed out',
        )) ?? null;
    } catch (error) {
      // Grace: a failing source is answered with the last good value while it is servable.
      if (stale && Date.now() < stale.hardExpiresAt) {
        stats.staleOnLoaderError++;
        return stale;
      }
      throw error;
    } finally {
      counters.loads++;
      counters.loadMs += performance.now() - started;
    }
    // An invalidation while we loaded: what we read may predate it. Answer, but do not store.
    if (epoch !== this.parts.epoch) return this.writer.encode(value, options).entry as StoredEntry<T>;
    const entry = await this.writer.store(key, name, value, options);
    this.announceFilled(name);
    this.parts.fills.wake(name);
    return entry;
  }
}
