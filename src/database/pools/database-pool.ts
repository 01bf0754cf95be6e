import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import type { DatabaseStats, PoolSnapshot } from '../database-stats.js';
import type { PoolOptions } from '../database.options.js';
import { LeakWatch } from './leak-watch.js';
import { ContextKeepingPool, observedClientClass } from './observed-client.js';

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
}

/** One `pg.Pool` we own, the Prisma client on top of it, and what watches it. */
export class DatabasePool {
  readonly name: string;
  readonly pool: pg.Pool;
  readonly client: PrismaClient;
  readonly settings: Required<PoolOptions>;
  private readonly leakWatch: LeakWatch;
  private readonly logger: Logger;

  constructor(config: DatabasePoolConfig, stats: DatabaseStats) {
    this.name = config.name;
    this.logger = new Logger(`Database:${config.name}`);
    this.settings = { ...POOL_DEFAULTS, ...config.pool };
    this.pool = new ContextKeepingPool({
      connectionString: config.url,
      application_name: config.applicationName,
      max: this.settings.max,
      min: this.settings.min,
      idleTimeoutMillis: this.settings.idleTimeoutMillis,
      connectionTimeoutMillis: this.settings.connectionTimeoutMillis,
      maxLifetimeSeconds: this.settings.maxLifetimeSeconds,
      statement_timeout: this.settings.statementTimeoutMillis,
      options: config.readOnly ? '-c default_transaction_read_only=on' : undefined,
      Client: observedClientClass(({ sql, durationMs }) => {
        stats.recordRoundTrip(config.name);
        if (durationMs < config.slowQueryMs) return;
        stats.recordSlowQuery(config.name);
        this.logger.warn(`slow query (${Math.round(durationMs)} ms): ${sql.replace(/\s+/g, ' ').slice(0, 1_000)}`);
      }),
    });
    // An idle client's connection dying (server restart, replica stopped) must not crash the process.
    this.pool.on('error', (error) => this.logger.warn(`idle connection lost: ${error.message}`));
    this.leakWatch = new LeakWatch(this.pool, config.name, config.leakWarningMs, this.logger);
    this.client = new PrismaClient({ adapter: new PrismaPg(this.pool) });
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
    await this.client.$disconnect().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
