import type { ReplicaState } from './routing/replica-state.js';

/** Why a read went where it went. */
export type RoutingDecision =
  'replica' | 'primary-fallback' | 'token-forced' | 'after-write' | 'primary-requested' | 'no-replicas';

export interface QueryEvent {
  pool: string;
  /** Prisma model, or `raw`. */
  model: string;
  operation: string;
  durationMs: number;
  failed: boolean;
}

export interface PoolSnapshot {
  name: string;
  total: number;
  idle: number;
  waiting: number;
  /** Connections held past the leak threshold right now. */
  heldTooLong: number;
}

export interface DatabaseStatsSnapshot {
  pools: PoolSnapshot[];
  replicas: ReplicaState[];
  routing: Record<RoutingDecision, number>;
  queries: { pool: string; model: string; operation: string; count: number; errors: number; totalMs: number }[];
  slowQueries: Record<string, number>;
  leaksReported: Record<string, number>;
  fallbackRetries: number;
}

/**
 * Counters the module keeps for operators (the metrics module turns them into Prometheus
 * families). Listeners get every query as it finishes, for histograms.
 */
export class DatabaseStats {
  readonly routing: Record<RoutingDecision, number> = {
    replica: 0,
    'primary-fallback': 0,
    'token-forced': 0,
    'after-write': 0,
    'primary-requested': 0,
    'no-replicas': 0,
  };
  readonly slowQueries: Record<string, number> = {};
  /** Statements sent to the server by pool: each one a round trip (BEGIN and COMMIT included). */
  readonly roundTrips: Record<string, number> = {};
  fallbackRetries = 0;
  private readonly queries = new Map<
    string,
    { pool: string; model: string; operation: string; count: number; errors: number; totalMs: number }
  >();
  private readonly listeners: ((event: QueryEvent) => void)[] = [];

  onQuery(listener: (event: QueryEvent) => void): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  recordQuery(event: QueryEvent): void {
    const key = `${event.pool}|${event.model}|${event.operation}`;
    let entry = this.queries.get(key);
    if (!entry) {
      entry = { pool: event.pool, model: event.model, operation: event.operation, count: 0, errors: 0, totalMs: 0 };
      this.queries.set(key, entry);
    }
    entry.count++;
    entry.totalMs += event.durationMs;
    if (event.failed) entry.errors++;
    for (const listener of this.listeners) listener(event);
  }

  recordRoundTrip(pool: string): void {
    this.roundTrips[pool] = (this.roundTrips[pool] ?? 0) + 1;
  }

  recordSlowQuery(pool: string): void {
    this.slowQueries[pool] = (this.slowQueries[pool] ?? 0) + 1;
  }

  queryRows(): DatabaseStatsSnapshot['queries'] {
    return [...this.queries.values()].map((entry) => ({ ...entry }));
  }
}
