import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import type { DatabaseStats, PoolSnapshot } from '../database-stats.js';
import type { PoolOptions } from '../database.options.js';
import { ConnectBreaker } from './connect-breaker.js';
import { LeakWatch } from './leak-watch.js';
import { ObservedAdapterFactory, type AdapterObserver, type StatementEvent } from './observed-adapter.js';
import { StatementNames } from './statement-names.js';
import { ThrottledLog } from './throttled-log.js';

export const POOL_DEFAULTS: Required<PoolOptions> = {
  max: 5,
  min: 1,
  idleTimeoutMillis: 10_000,
  connectionTimeoutMillis: 2_000,
  maxLifetimeSeconds: 1_800,
  statementTimeoutMillis: 5_000,
};

export interface DatabasePoolConfig {
  /** `primary`, `replica-1`… */
  name: string;
  url: string;
  applicationName: string;
  /** Replica sessions refuse writes, so a misrouted write fails at once. */
  readOnly: boolean;
  pool: PoolOptions | undefined;
  slowQueryMs: number;
  leakWarningMs: number;
  /** Server-side prepared statements (not through PgBouncer before 1.21 in transaction mode). */
  preparedStatements: boolean;
  /** Called after each statement, in the caller's async context. */
  onStatement?: (event: StatementEvent) => void;
  /** A failed statement outside a transaction: its result from elsewhere, or `undefined`. */
  recover?: AdapterObserver['recover'];
}

/** How a pool's connections reach their server and set up their session (pg's own options). */
export type PoolSession = Pick<
  pg.PoolConfig,
  'connectionString' | 'application_name' | 'statement_timeout' | 'options'
>;

/**
 * A pool's name and session, for work that opens its own connection to the same place (an
 * export on a pool thread): its credentials never leave the process.
 */
export interface PoolEndpoint {
  /** The pool's name, for its statistics. */
  pool: string;
  session: PoolSession;
}

/** One `pg.Pool` we own, the Prisma client on top of it, and what watches it. */
export class DatabasePool {
  readonly name: string;
  readonly pool: pg.Pool;
  readonly client: PrismaClient;
  readonly settings: Required<PoolOptions>;
  readonly endpoint: PoolEndpoint;
  private readonly leakWatch: LeakWatch;
  private readonly adapter: ObservedAdapterFactory;
  private connected?: Promise<SqlDriverAdapter>;
  private readonly logger: Logger;
  /** An overloaded pool makes every query slow: a few lines a second say so, a line each would add to the load. */
  private readonly slowQueryLog: ThrottledLog;

  constructor(config: DatabasePoolConfig, stats: DatabaseStats) {
    this.name = config.name;
    this.logger = new Logger(`Database:${config.name}`);
    this.slowQueryLog = new ThrottledLog(this.logger, config.slowQueryMs === 0 ? Infinity : 5);
    this.settings = { ...POOL_DEFAULTS, ...config.pool };
    const session: PoolSession = {
      connectionString: config.url,
      application_name: config.applicationName,
      statement_timeout: this.settings.statementTimeoutMillis,
      options: config.readOnly ? '-c default_transaction_read_only=on' : undefined,
    };
    this.endpoint = { pool: config.name, session };
    this.pool = new pg.Pool({
      ...session,
      max: this.settings.max,
      min: this.settings.min,
      idleTimeoutMillis: this.settings.idleTimeoutMillis,
      connectionTimeoutMillis: this.settings.connectionTimeoutMillis,
      maxLifetimeSeconds: this.settings.maxLifetimeSeconds,
    });
    // An idle client's connection dying (server restart, replica stopped) must not crash the process.
    this.pool.on('error', (error) => this.logger.warn(`idle connection lost: ${error.message}`));
    // Nor a checked-out one's: a client handed to a promise-style checkout (a transaction's) has no
    // listener until that promise's continuation runs, and a restart can end the session in that
    // gap (57P01 in the packet that ended the previous query). Its queries fail on their own; the
    // pool drops it on release.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    // Checkouts fail at once while the server refuses connections (see ConnectBreaker).
    new ConnectBreaker(this.pool);
    this.leakWatch = new LeakWatch(config.name, config.leakWarningMs, this.logger);
    const adapter = new PrismaPg(this.pool, {
      statementNameGenerator: config.preparedStatements ? new StatementNames().nameOf : undefined,
    });
    this.adapter = new ObservedAdapterFactory(adapter, {
      statement: (event) => {
        stats.recordStatement(config.name, event);
        config.onStatement?.(event);
        if (event.durationMs < config.slowQueryMs) return;
        stats.recordSlowQuery(config.name);
        const sql = event.sql.replace(/\s+/g, ' ').slice(0, 1_000);
        this.slowQueryLog.warn(
          (more) =>
            `slow query (${Math.round(event.durationMs)} ms, any wait for a connection included${more}): ${sql}`,
        );
      },
      recover: config.recover,
      transactionStarted: (transaction) => this.leakWatch.track(transaction),
      transactionEnded: (transaction) => this.leakWatch.release(transaction),
    });
    this.client = new PrismaClient({
      adapter: this.adapter,
      // The default format captures a stack on every call to point at it in error messages.
      errorFormat: 'minimal',
    });
  }

  /** Opens `min` connections and checks each with `SELECT 1`; reports instead of throwing. */
  async warmUp(): Promise<boolean> {
    const clients: pg.PoolClient[] = [];
    try {
      for (let i = 0; i < Math.max(1, this.settings.min); i++) clients.push(await this.pool.connect());
      await Promise.all(clients.map((client) => client.query('SELECT 1')));
    } catch (error) {
      this.logger.warn(`warm-up failed: ${(error as Error).message}`);
      return false;
    } finally {
      for (const client of clients) client.release();
    }
    // The first Prisma query pays for the query compiler's start-up; pay it before traffic does.
    return this.client.$queryRaw`SELECT 1`.then(
      () => true,
      (error: Error) => {
        this.logger.warn(`warm-up failed: ${error.message}`);
        return false;
      },
    );
  }

  /** Runs `statement` on this pool's adapter, bypassing the client (a read retried here from another pool). */
  async run<T>(statement: (adapter: SqlDriverAdapter) => Promise<T>): Promise<T> {
    this.connected ??= this.adapter.connect();
    return statement(await this.connected);
  }

  snapshot(): PoolSnapshot {
    return {
      name: this.name,
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
      heldTooLong: this.leakWatch.held(),
    };
  }

  get leaksReported(): number {
    return this.leakWatch.reported;
  }

  async close(): Promise<void> {
    this.leakWatch.stop();
    await (await this.connected?.catch(() => undefined))?.dispose();
    await this.client.$disconnect().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
