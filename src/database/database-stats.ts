import type { StatementEvent } from './pools/observed-adapter.js';
import type { ReplicaState } from './routing/replica-state.js';

/** Why a read went where it went (`primary-away`: to a replica past its lag bound, the primary being unreachable). */
export type RoutingDecision =
  | 'replica'
  | 'primary-fallback'
  | 'token-forced'
  | 'after-write'
  | 'primary-requested'
  | 'no-replicas'
  | 'primary-away';

/** What a statement does, by its first keyword: a bounded label set for metrics. */
export type StatementKind =
  'select' | 'insert' | 'update' | 'delete' | 'with' | 'begin' | 'commit' | 'rollback' | 'other';

export interface QueryEvent {
  pool: string;
  /** The statement's kind (one wire round trip each). */
  operation: StatementKind;
  durationMs: number;
  failed: boolean;
}

const KINDS = new Set<string>(['select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback']);

export function statementKind(sql: string): StatementKind {
  const keyword = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase() ?? '';
  return KINDS.has(keyword) ? (keyword as StatementKind) : 'other';
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
  /** Statements (wire round trips) by pool and kind. */
  queries: { pool: string; operation: StatementKind; count: number; errors: number; totalMs: number }[];
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
    'primary-away': 0,
  };
  readonly slowQueries: Record<string, number> = {};
  /** Statements sent to the server by pool: each one a round trip (BEGIN and COMMIT included). */
  readonly roundTrips: Record<string, number> = {};
  fallbackRetries = 0;
  private readonly queries = new Map<string, DatabaseStatsSnapshot['queries'][number]>();
  private readonly listeners: ((event: QueryEvent) => void)[] = [];

  onQuery(listener: (event: QueryEvent) => void): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  recordStatement(pool: string, statement: StatementEvent): void {
    this.roundTrips[pool] = (this.roundTrips[pool] ?? 0) + 1;
    const failed = statement.error !== undefined;
    const event: QueryEvent = {
      pool,
      operation: statementKind(statement.sql),
      durationMs: statement.durationMs,
      failed,
    };
    const key = `${pool}|${event.operation}`;
    let entry = this.queries.get(key);
    if (!entry) {
      entry = { pool, operation: event.operation, count: 0, errors: 0, totalMs: 0 };
      this.queries.set(key, entry);
    }
    entry.count++;
    entry.totalMs += event.durationMs;
    if (failed) entry.errors++;
    for (const listener of this.listeners) listener(event);
  }

  recordSlowQuery(pool: string): void {
    this.slowQueries[pool] = (this.slowQueries[pool] ?? 0) + 1;
  }

  queryRows(): DatabaseStatsSnapshot['queries'] {
    return [...this.queries.values()].map((entry) => ({ ...entry }));
  }
}
