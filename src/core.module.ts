import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AUTHENTICATED } from './auth/auth.constants.js';
import { CacheModule, type CacheModuleOptions } from './cache/index.js';
import { deriveKey } from './common/derive-key.js';
import { parseLsn } from './common/lsn.js';
import {
  APP_NAME,
  AppConfig,
  AppConfigModule,
  appKeyPrefix,
  redisConnection,
  type AppConfigValues,
} from './config/index.js';
import { DatabaseModule, Db, requestConsistency, type DatabaseModuleOptions } from './database/index.js';
import { Prisma } from './generated/prisma/client.js';
import { loggerParams } from './logging/logger-params.js';
import { PaymentsModule } from './payments/payments.module.js';
import { QueuesModule } from './queues/queues.module.js';

/**
 * What the API and the worker both run on: validated config, structured logs, the database (primary + replicas),
 * the cache, the queues and the payment provider. All global.
 */
@Module({})
export class CoreModule {
  /**
   * `replicas: false` (the worker): the primary alone — every read of a worker must see the
   * latest state, so replica pools and their probes would be pure cost.
   */
  static forRoot(config: AppConfigValues, { replicas = true }: { replicas?: boolean } = {}): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (app: AppConfigValues) => databaseOptions(app, { replicas }),
        }),
        CacheModule.forRootAsync({ inject: [AppConfig, Db], useFactory: cacheOptions }),
        QueuesModule,
        PaymentsModule,
      ],
    };
  }
}

/** The database module's slice of the config (also what scripts that need only the database run with). */
export function databaseOptions(app: AppConfigValues, { replicas = true } = {}): DatabaseModuleOptions {
  const pool = {
    min: app.DB_POOL_MIN,
    idleTimeoutMillis: app.DB_POOL_IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: app.DB_POOL_ACQUIRE_TIMEOUT_MS,
    maxLifetimeSeconds: app.DB_POOL_MAX_LIFETIME_S,
    statementTimeoutMillis: app.DB_STATEMENT_TIMEOUT_MS,
  };
  return {
    applicationName: APP_NAME,
    primaryUrl: app.DATABASE_URL,
    replicaUrls: replicas ? app.DATABASE_REPLICA_URLS : [],
    primaryPool: { ...pool, max: app.DB_POOL_MAX },
    replicaPool: { ...pool, max: app.DB_REPLICA_POOL_MAX },
    routing: {
      probeIntervalMs: app.DB_REPLICA_PROBE_INTERVAL_MS,
      probeTimeoutMs: app.DB_REPLICA_PROBE_TIMEOUT_MS,
      maxLagMs: app.DB_REPLICA_MAX_LAG_MS,
      maxLagBytes: app.DB_REPLICA_MAX_LAG_BYTES,
      rejoinAfter: app.DB_REPLICA_REJOIN_AFTER,
    },
    slowQueryMs: app.DB_SLOW_QUERY_MS,
    preparedStatements: app.DB_PREPARED_STATEMENTS,
    leakWarningMs: app.DB_LEAK_WARNING_MS,
    lastWriteStore: redisConnection(app, 'cache'),
    lastWriteTtlMs: app.DB_LAST_WRITE_TTL_MS,
    consistencyTokenKey: deriveKey(app.JWT_SECRET, 'consistency-token'),
  };
}

function cacheOptions(app: AppConfig, db: Db): CacheModuleOptions {
  return {
    enabled: app.CACHE_ENABLED,
    redis: redisConnection(app, 'cache'),
    prefix: appKeyPrefix(app),
    defaultTtlMs: app.CACHE_DEFAULT_TTL_MS,
    defaultGraceMs: app.CACHE_GRACE_MS,
    negativeTtlMs: app.CACHE_NEGATIVE_TTL_MS,
    l1: { maxEntries: app.CACHE_L1_MAX_ENTRIES, maxBytes: app.CACHE_L1_MAX_BYTES, ttlMs: app.CACHE_L1_TTL_MS },
    commandTimeoutMs: app.CACHE_COMMAND_TIMEOUT_MS,
    lockTtlMs: app.CACHE_LOCK_TTL_MS,
    lockWaitMs: app.CACHE_LOCK_WAIT_MS,
    fenceMs: app.CACHE_FENCE_MS,
    // An authenticated @Cacheable route without perUser would share one entry between callers.
    authenticatedMetadata: [AUTHENTICATED],
    // Cache and replicas together: invalidations carry the primary's position, and misses on
    // recently invalidated keys load from a replica that has replayed it (or the primary).
    currentPosition: () => db.currentLsn(),
    withMinimumPosition: (position, load) => requestConsistency.atLeast(parseLsn(position), load),
    customTypes: [
      {
        name: 'prisma-decimal',
        isApplicable: (value): value is Prisma.Decimal => value instanceof Prisma.Decimal,
        serialize: (value) => (value as Prisma.Decimal).toString(),
        deserialize: (text) => new Prisma.Decimal(text),
      },
    ],
  };
}
