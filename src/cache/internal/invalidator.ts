import { isCluster } from '../../common/redis/index.js';
import { CacheBus, type BusMessage } from './cache-bus.js';
import type { CacheParts } from './cache-parts.js';
import { fenceNames, type Invalidation } from './invalidation.js';
import { unlinkPaged } from './redis-store.js';

export interface ApplyOptions {
  /** `bus`: another instance made the change and did its Redis side; only memory follows. @default 'local' */
  from?: 'local' | 'bus';
  /** For `keys` and `cleared`: the change's Redis side (store the new value, unlink entries); returns entries deleted. */
  write?: () => Promise<number | void>;
  /** For `tags`: tag sets holding up to this many entries in all go in one call with the bus message. @default 500 */
  batchSize?: number;
}

/**
 * Invalidation: one path for every kind and both origins. Locally: the position read (unless
 * given), then memory (the epoch moves on so that loads straddling the change do not store, fences
 * raised, L1 dropped), then the Redis side, then the bus message. From the bus: memory only.
 */
export class Invalidator {
  readonly bus: CacheBus;

  constructor(
    private readonly parts: CacheParts,
    instanceId: string,
  ) {
    this.bus = new CacheBus(
      parts.options.redis,
      parts.names.channel,
      instanceId,
      (message) => this.receive(message),
      () => this.resync(),
    );
  }

  /** Returns the entries deleted (`tags`, `cleared`, as far as counted), the new version (`bump`), else 0. */
  async apply(change: Invalidation, { from = 'local', write, batchSize = 500 }: ApplyOptions = {}): Promise<number> {
    if (from === 'bus') {
      this.forget(change);
      return 0;
    }
    change.position ??= await this.position();
    this.forget(change);
    let result = 0;
    switch (change.type) {
      case 'keys':
      case 'cleared':
        result = (await write?.()) ?? 0;
        break;
      case 'bump':
        change.version = result = await this.parts.versions.bump(change.namespace);
        break;
      case 'tags': {
        const dropped = await this.dropTags(change, batchSize);
        // Published by the script with the deletion, or Redis is away (fences and TTLs stand in).
        if (dropped.done) return dropped.deleted;
        result = dropped.deleted;
        break;
      }
    }
    await this.publish(change);
    return result;
  }

  /** Tells the other instances that `name` was filled: their waiters look again at once. */
  announceFilled(name: string): void {
    void this.publish({ type: 'filled', key: name });
  }

  close(): void {
    this.bus.close();
  }

  /** The memory side, the same for a local change and one from the bus. */
  private forget(change: Invalidation): void {
    const { fences, l1, versions } = this.parts;
    this.parts.epoch++;
    for (const name of fenceNames.of(change)) fences.raise(name, change.position);
    switch (change.type) {
      case 'keys':
        return l1.dropStems(change.stems);
      case 'tags':
        return l1.dropTagged(change.tags);
      case 'cleared':
        return l1.clear();
      case 'bump':
        if (change.version !== undefined) versions.remember(change.namespace, change.version);
        return l1.dropNamespace(change.namespace);
    }
  }

  /**
   * Deletes every entry with any of these tags, never with KEYS. On a single server, tags holding
   * up to `batchSize` entries in all go in one call with the bus message (a hot path: a checkout's
   * products); the rest, and every tag on a cluster (entries sit in other slots), page through
   * SSCAN + UNLINK. `done`: nothing left to publish.
   */
  private async dropTags(
    change: Extract<Invalidation, { type: 'tags' }>,
    batchSize: number,
  ): Promise<{ deleted: number; done: boolean }> {
    const { l2, names } = this.parts;
    let deleted = 0;
    let paged = change.tags.map((tag) => names.tag(tag));
    if (!isCluster(l2.redis) && paged.length) {
      const dropped = await l2.attempt((redis) =>
        redis.dropTags(paged.length, ...paged, batchSize, names.channel, this.bus.encode(change)),
      );
      if (!dropped.ok) return { deleted: 0, done: true };
      [deleted, paged] = dropped.value;
      if (!paged.length) return { deleted, done: true };
    }
    for (const tagKey of paged) {
      deleted += await unlinkPaged(l2, (cursor) => l2.redis.sscan(tagKey, cursor, 'COUNT', batchSize));
      await l2.attempt((redis) => redis.unlink(tagKey));
    }
    return { deleted, done: false };
  }

  private receive(message: BusMessage): void {
    if (message.type === 'filled') return this.parts.fills.wake(message.key);
    void this.apply(message, { from: 'bus' });
  }

  /** The subscription (re)started: messages may have been missed. */
  private resync(): void {
    this.parts.stats.busResyncs++;
    this.parts.epoch++;
    this.parts.l1.clear();
    this.parts.versions.clear();
  }

  private async position(): Promise<string | undefined> {
    return this.parts.options.currentPosition?.().catch(() => undefined);
  }

  private async publish(message: BusMessage): Promise<void> {
    const { l2, names } = this.parts;
    await l2.attempt((redis) => redis.publish(names.channel, this.bus.encode(message)));
  }
}
