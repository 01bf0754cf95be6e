import type { CacheNames } from '../cache-keys.js';
import type { RedisStore } from './redis-store.js';

/** How long a namespace version is trusted without asking Redis (bumps arrive by the bus sooner). */
const VERSION_TTL_MS = 5_000;

/** Namespace versions: in Redis (INCR to bump), remembered in memory so keys cost no round trip. */
export class NamespaceVersions {
  private readonly known = new Map<string, { version: number; until: number }>();

  constructor(
    private readonly names: CacheNames,
    private readonly l2: RedisStore,
  ) {}

  /** The version if known and fresh, synchronously (the HTTP fast path), else `undefined`. */
  peek(namespace: string): number | undefined {
    const known = this.known.get(namespace);
    return known && known.until > Date.now() ? known.version : undefined;
  }

  async get(namespace: string): Promise<number> {
    const fresh = this.peek(namespace);
    if (fresh !== undefined) return fresh;
    const fetched = await this.l2.attempt((redis) => redis.get(this.names.namespaceVersion(namespace)));
    const version = fetched.ok ? Number(fetched.value ?? 0) : (this.known.get(namespace)?.version ?? 0);
    this.remember(namespace, version);
    return version;
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
