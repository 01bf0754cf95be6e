export type CacheLayer = 'l1' | 'l2';

interface NamespaceCounters {
  hits: Record<CacheLayer, number>;
  misses: Record<CacheLayer, number>;
  staleServed: number;
  loads: number;
  loadMs: number;
  lockWaits: number;
  /** Entries warm-ups wrote to Redis (those already there were kept, and count too). */
  warmed: number;
}

/** Counters for operators; the metrics module reads them. Namespaces are code-defined (bounded). */
export class CacheStats {
  readonly namespaces = new Map<string, NamespaceCounters>();
  l1Evictions = 0;
  redisErrors = 0;
  staleOnLoaderError = 0;
  busResyncs = 0;

  of(namespace: string): NamespaceCounters {
    let counters = this.namespaces.get(namespace);
    if (!counters) {
      counters = {
        hits: { l1: 0, l2: 0 },
        misses: { l1: 0, l2: 0 },
        staleServed: 0,
        loads: 0,
        loadMs: 0,
        lockWaits: 0,
        warmed: 0,
      };
      this.namespaces.set(namespace, counters);
    }
    return counters;
  }

  snapshot() {
    return {
      namespaces: Object.fromEntries([...this.namespaces].map(([name, counters]) => [name, structuredClone(counters)])),
      l1Evictions: this.l1Evictions,
      redisErrors: this.redisErrors,
      staleOnLoaderError: this.staleOnLoaderError,
      busResyncs: this.busResyncs,
    };
  }
}
