import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
  Transaction,
} from '@prisma/driver-adapter-utils';

/** One statement as it went over the wire (its parameters are never kept). */
export interface StatementEvent {
  sql: string;
  durationMs: number;
  /** The error the driver raised, if any. */
  error?: unknown;
  /** Ran inside an interactive transaction. */
  inTransaction: boolean;
}

export interface AdapterObserver {
  /** After each statement, in the caller's async context (Prisma awaits the adapter in it). */
  statement(event: StatementEvent): void;
  /**
   * A statement outside a transaction failed: return its result from elsewhere (a replica's read,
   * retried on another server), or `undefined` to let the error through.
   */
  recover?(error: unknown, run: (adapter: SqlDriverAdapter) => Promise<unknown>): Promise<unknown> | undefined;
  /** An interactive transaction took a connection / gave it back. */
  transactionStarted?(transaction: Transaction): void;
  transactionEnded?(transaction: Transaction): void;
}

/**
 * Prisma's driver adapter with every statement observed where it is cheapest and exact: one
 * `performance.now()` pair per round trip, no Prisma query extension, no async-context binding
 * (the adapter is awaited in the caller's context), no stack per pool checkout.
 */
export class ObservedAdapterFactory implements SqlDriverAdapterFactory {
  readonly provider;
  readonly adapterName;

  constructor(
    private readonly inner: SqlDriverAdapterFactory,
    private readonly observer: AdapterObserver,
  ) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return new ObservedAdapter(await this.inner.connect(), this.observer);
  }
}

type Method = 'queryRaw' | 'executeRaw';

async function observe<T>(
  target: SqlDriverAdapter | Transaction,
  method: Method,
  query: SqlQuery,
  observer: AdapterObserver,
  inTransaction: boolean,
): Promise<T> {
  const started = performance.now();
  try {
    const result = (await (target[method] as (q: SqlQuery) => Promise<T>)(query)) as T;
    observer.statement({ sql: query.sql, durationMs: performance.now() - started, inTransaction });
    return result;
  } catch (error) {
    observer.statement({ sql: query.sql, durationMs: performance.now() - started, error, inTransaction });
    throw error;
  }
}

class ObservedAdapter implements SqlDriverAdapter {
  readonly provider;
  readonly adapterName;

  constructor(
    private readonly inner: SqlDriverAdapter,
    private readonly observer: AdapterObserver,
  ) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return this.run('queryRaw', query);
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.run('executeRaw', query);
  }

  /** Takes a connection and sends BEGIN (the inner adapter's own round trip, reported as one). */
  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    const started = performance.now();
    let inner: Transaction;
    try {
      inner = await this.inner.startTransaction(isolationLevel);
    } catch (error) {
      this.observer.statement({ sql: 'BEGIN', durationMs: performance.now() - started, error, inTransaction: true });
      throw error;
    }
    this.observer.statement({ sql: 'BEGIN', durationMs: performance.now() - started, inTransaction: true });
    // The inner adapter sets a non-default isolation level in a round trip of its own.
    if (isolationLevel) this.observer.statement({ sql: 'SET TRANSACTION', durationMs: 0, inTransaction: true });
    const transaction = new ObservedTransaction(inner, this.observer);
    this.observer.transactionStarted?.(transaction);
    return transaction;
  }

  executeScript(script: string): Promise<void> {
    return this.inner.executeScript(script);
  }

  getConnectionInfo() {
    return this.inner.getConnectionInfo?.() ?? { supportsRelationJoins: false };
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  private async run<T>(method: Method, query: SqlQuery): Promise<T> {
    try {
      return await observe<T>(this.inner, method, query, this.observer, false);
    } catch (error) {
      const recovered = this.observer.recover?.(error, (adapter) => adapter[method](query));
      if (recovered) return (await recovered) as T;
      throw error;
    }
  }
}

class ObservedTransaction implements Transaction {
  readonly provider;
  readonly adapterName;
  readonly options;

  constructor(
    private readonly inner: Transaction,
    private readonly observer: AdapterObserver,
  ) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
    this.options = inner.options;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return observe(this.inner, 'queryRaw', query, this.observer, true);
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return observe(this.inner, 'executeRaw', query, this.observer, true);
  }

  commit(): Promise<void> {
    this.observer.transactionEnded?.(this);
    return this.inner.commit();
  }

  rollback(): Promise<void> {
    this.observer.transactionEnded?.(this);
    return this.inner.rollback();
  }

  createSavepoint(name: string): Promise<void> {
    return this.inner.createSavepoint!(name);
  }

  rollbackToSavepoint(name: string): Promise<void> {
    return this.inner.rollbackToSavepoint!(name);
  }

  releaseSavepoint(name: string): Promise<void> {
    return this.inner.releaseSavepoint!(name);
  }
}
