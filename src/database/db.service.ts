import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { LastWriteStore } from './consistency/last-write-store.js';
import { requestConsistency } from './consistency/request-consistency.js';
import { isConnectionError, isRetryableTransactionError } from './database-errors.js';
import { DatabaseStats, statementKind, type DatabaseStatsSnapshot, type RoutingDecision } from './database-stats.js';
import { DATABASE_MODULE_OPTIONS } from './database.module-definition.js';
import type { DatabaseModuleOptions } from './database.options.js';
import { DatabasePool, type PoolEndpoint } from './pools/database-pool.js';
import { formatLsn, parseLsn, type Lsn } from '../common/lsn.js';
import { ReplicaMonitor } from './routing/replica-monitor.js';
import { ReplicaRouter } from './routing/replica-router.js';

export interface TransactionOptions {
  isolationLevel?: Prisma.TransactionIsolationLevel;
  /** Attempts in all, for serialization failures (40001) and deadlocks (40P01). @default 3 */
  maxAttempts?: number;
  /** Longest the transaction may run. @default 5_000 */
  timeoutMs?: number;
}

/**
 * The one way to the database.
 * - `primary`: writes, transactions, reads that must be fresh;
 * - `reader()`: a client for a read, chosen per call: a healthy replica that has replayed what
 *   this request (or this client's token, or this user's last write) needs, else the primary;
 * - `transaction()`: always on the primary, retried on serialization failures and deadlocks.
 */
@Injectable()
export class Db implements OnModuleInit, OnApplicationShutdown {
  readonly stats = new DatabaseStats();
  private readonly logger = new Logger('Database');
  private readonly primaryPool: DatabasePool;
  private readonly replicaPools: DatabasePool[];
  private readonly primaryClient: PrismaClient;
  private readonly replicaClients: PrismaClient[];
  private readonly monitor: ReplicaMonitor;
  private readonly router: ReplicaRouter;
  private readonly lastWrites: LastWriteStore;
  /** The replica chosen for unconstrained reads in this event-loop turn (see `route`). */
  private turnRoute?: { client: PrismaClient; decision: RoutingDecision; replica?: number };

  constructor(@Inject(DATABASE_MODULE_OPTIONS) options: DatabaseModuleOptions) {
    const prefix = options.applicationName;
    const common = {
      slowQueryMs: options.slowQueryMs ?? 200,
      leakWarningMs: options.leakWarningMs ?? 5_000,
      preparedStatements: options.preparedStatements ?? true,
    };
    this.primaryPool = new DatabasePool(
      {
        ...common,
        name: 'primary',
        // A statement other than a read, outside `transaction()` too: this request's later reads go to the primary.
        onStatement: ({ sql, error }) => {
          if (error === undefined && statementKind(sql) !== 'select') requestConsistency.markWrite();
        },
        url: options.primaryUrl,
        applicationName: `${prefix}:primary`,
        readOnly: false,
        pool: options.primaryPool,
      },
      this.stats,
    );
    this.replicaPools = options.replicaUrls.map(
      (url, index) =>
        new DatabasePool(
          {
            ...common,
            name: `replica-${index + 1}`,
            url,
            applicationName: `${prefix}:replica-${index + 1}`,
            readOnly: true,
            pool: options.replicaPool,
            onStatement: ({ durationMs, error }) => {
              if (error === undefined) this.monitor.recordQueryLatency(index, durationMs);
            },
            recover: (error, run) => (isConnectionError(error) ? this.readElsewhere(index, error, run) : undefined),
          },
          this.stats,
        ),
    );
    this.monitor = new ReplicaMonitor(
      options.primaryUrl,
      options.replicaUrls,
      options.routing,
      `${prefix}:replica-probe`,
    );
    this.router = new ReplicaRouter(this.monitor.states, this.monitor.primary);
    // The primary dropped an idle connection (a restart, a failover): reads that need a recent
    // position (a token, a cache fence) go to the primary until a probe shows a replica has it.
    this.primaryPool.pool.on('error', () => this.monitor.nudge());
    this.primaryClient = this.primaryPool.client;
    this.replicaClients = this.replicaPools.map((pool) => pool.client);
    this.lastWrites = new LastWriteStore(options.lastWriteStore, options.lastWriteTtlMs ?? 30_000);
  }

  async onModuleInit(): Promise<void> {
    // Replicas failing here must not block the start; the probe decides when they serve.
    await Promise.all([
      this.lastWrites.ready(),
      ...[this.primaryPool, ...this.replicaPools].map((pool) => pool.warmUp()),
    ]);
    await this.monitor.probe();
    this.monitor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.monitor.stop();
    await this.lastWrites.close();
    await Promise.all([this.primaryPool, ...this.replicaPools].map((pool) => pool.close()));
  }

  /** Writes, transactions, and reads that must see the latest data. */
  get primary(): PrismaClient {
    return this.primaryClient;
  }

  /** A client for one read. Call it per query: the choice depends on the moment and the request. */
  reader(): PrismaClient {
    const { client, decision } = this.route();
    this.stats.routing[decision]++;
    return client;
  }

  /**
   * Where a long read on a connection of its own should go (an export, on a pool thread): the
   * server `reader()` would choose now, with its pool's session settings.
   */
  readerEndpoint(): PoolEndpoint {
    const { decision, replica } = this.route();
    this.stats.routing[decision]++;
    return (replica === undefined ? this.primaryPool : this.replicaPools[replica]).endpoint;
  }

  /** Runs `fn` in a primary transaction, again on serialization failures and deadlocks (bounded, with backoff). */
  async transaction<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    requestConsistency.markWrite();
    return this.retried(options.maxAttempts ?? 3, () =>
      this.primaryClient.$transaction(fn, {
        isolationLevel: options.isolationLevel,
        maxWait: this.primaryPool.settings.connectionTimeoutMillis,
        timeout: options.timeoutMs ?? 5_000,
      }),
    );
  }

  /**
   * One writing statement on the primary: atomic on its own (no BEGIN/COMMIT round trips), and
   * run again on serialization failures and deadlocks like `transaction()`. @default maxAttempts 3
   */
  async write<T>(statement: (primary: PrismaClient) => Promise<T>, { maxAttempts = 3 } = {}): Promise<T> {
    requestConsistency.markWrite();
    return this.retried(maxAttempts, () => statement(this.primaryClient));
  }

  /** The primary's current WAL position: the consistency token after a write. */
  async currentLsn(): Promise<string> {
    const rows = await this.primaryClient.$queryRaw<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
    return formatLsn(parseLsn(rows[0].lsn));
  }

  /**
   * Remembers the primary's current position as `userId`'s last write, so that user's next reads,
   * on any instance, come from a replica that has replayed it. For writes made outside a request
   * (a worker changing an order), and by the consistency interceptor after each writing request.
   * Returns the position: the consistency token.
   */
  async rememberWrite(userId: number | string, position?: string): Promise<string> {
    const lsn = position ?? (await this.currentLsn());
    await this.lastWrites.set(String(userId), lsn);
    return lsn;
  }

  /**
   * The primary's position once this request's writes have committed, read once for all who need
   * it: the caller (say, for a cache invalidation) and the request's consistency token, which is
   * read again only if the request writes after this.
   */
  async committedPosition(): Promise<string> {
    const lsn = await this.currentLsn();
    requestConsistency.committedAt(lsn);
    return lsn;
  }

  /** `userId`'s last remembered write position, or null (none, expired, or Redis unavailable). */
  lastWriteOf(userId: number | string): Promise<string | null> {
    return this.lastWrites.get(String(userId));
  }

  snapshot(): DatabaseStatsSnapshot {
    return {
      pools: [this.primaryPool, ...this.replicaPools].map((pool) => pool.snapshot()),
      replicas: this.monitor.states.map((state) => ({ ...state })),
      routing: { ...this.stats.routing },
      queries: this.stats.queryRows(),
      slowQueries: { ...this.stats.slowQueries },
      leaksReported: Object.fromEntries(
        [this.primaryPool, ...this.replicaPools].map((pool) => [pool.name, pool.leaksReported]),
      ),
      fallbackRetries: this.stats.fallbackRetries,
    };
  }

  /** Runs one probe round now (tests, readiness checks). */
  probeReplicas(): Promise<void> {
    return this.monitor.probe();
  }

  /** Runs `run` again on serialization failures and deadlocks (bounded, with backoff). */
  private async retried<T>(maxAttempts: number, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= maxAttempts || !isRetryableTransactionError(error)) throw error;
        const backoff = Math.min(200, 10 * 2 ** attempt) * (0.5 + Math.random());
        this.logger.debug(
          `transaction conflict (attempt ${attempt}/${maxAttempts}); retrying in ${Math.round(backoff)} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  private route(exclude?: number): { client: PrismaClient; decision: RoutingDecision; replica?: number } {
    const context = requestConsistency.current();
    if (context?.primaryOnly) return { client: this.primaryClient, decision: 'primary-requested' };
    if (context?.wrote) return { client: this.primaryClient, decision: 'after-write' };
    const minLsn = context?.minLsn as Lsn | undefined;
    if (minLsn !== undefined || exclude !== undefined) return this.pickRoute(minLsn, exclude);
    // Unconstrained reads in one event-loop turn share a replica: Prisma batches the findUnique
    // calls made in one turn on one client into a single query, which per-call round-robin defeats.
    if (!this.turnRoute) {
      this.turnRoute = this.pickRoute();
      setImmediate(() => (this.turnRoute = undefined));
    }
    return this.turnRoute;
  }

  private pickRoute(
    minLsn?: Lsn,
    exclude?: number,
  ): { client: PrismaClient; decision: RoutingDecision; replica?: number } {
    const { replica, decision } = this.router.pick(minLsn, exclude);
    return replica === undefined
      ? { client: this.primaryClient, decision }
      : { client: this.replicaClients[replica], decision, replica };
  }

  /** A replica read that could not reach its server: marked failed, and run once on another choice. */
  private readElsewhere(
    replica: number,
    error: unknown,
    run: (adapter: SqlDriverAdapter) => Promise<unknown>,
  ): Promise<unknown> {
    this.monitor.markFailed(replica, `query failed to connect: ${(error as Error).message.split('\n')[0]}`);
    this.stats.fallbackRetries++;
    const { replica: other } = this.route(replica);
    return (other === undefined ? this.primaryPool : this.replicaPools[other]).run(run);
  }
}
