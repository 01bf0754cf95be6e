import type { CacheNames } from '../cache-keys.js';
import type { RedisStore } from './redis-store.js';

/** How long a namespace version is trusted without asking Redis (bumps arrive by the bus sooner). */
const VERSION_TTL_MS = 5_000;

/** Namespace versions: in Redis (INCR to bump), remembered in memory so keys cost no round trip. */
export class NamespaceVersions {
  private readonly known = new Map<string, { version: number; until: number }>();
  private readonly refreshing = new Map<string, Promise<number>>();

  constructor(
    private readonly names: CacheNames,
    private readonly l2: RedisStore,
  ) {}

  /**
   * The known version, synchronously (the HTTP fast path), or `undefined` if none is known yet.
   * Past its TTL it is still returned while one refresh runs: bumps arrive by the bus, the TTL is
   * only a safety net, and a herd of requests must not fall off the fast path together.
   */
  peek(namespace: string): number | undefined {
    const known = this.known.get(namespace);
    if (known && known.until <= Date.now()) void this.get(namespace);
    return known?.version;
  }

  /** The version, asking Redis (once, however many callers) when the known one is too old. */
  get(namespace: string): Promise<number> {
    const known = this.known.get(namespace);
    if (known && known.until > Date.now()) return Promise.resolve(known.version);
    let refresh = this.refreshing.get(namespace);
    if (!refresh) {
      refresh = this.l2
        .attempt((redis) => redis.get(this.names.namespaceVersion(namespace)))
        .then((fetched) => {
          const version = fetched.ok ? Number(fetched.value ?? 0) : (this.known.get(namespace)?.version ?? 0);
          this.remember(namespace, version);
          return version;
        })
        .finally(() => this.refreshing.delete(namespace));
      this.refreshing.set(namespace, refresh);
    }
    return refresh;
  }

  async bump(namespace: string): Promise<number> {
    const bumped = await this.l2.attempt((redis) => redis.incr(this.names.namespaceVersion(namespace)));
    const version = bumped.ok ? bumped.value : (this.known.get(namespace)?.version ?? 0) + 1;
    this.remember(namespace, version);
    return version;
  }

  remember(namespace: string, version: number): void {
    this.known.set(namespace, { version, until: Date.now() + VERSION_TTL_MS });
  }

  clear(): void {
    this.known.clear();
  }
}
