import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { ProblemDetailsFilter } from './common/http/index.js';
import { AppConfig, AppConfigModule, type AppConfigValues } from './config/index.js';
import { ConsistencyInterceptor, DatabaseModule, type DatabaseModuleOptions } from './database/index.js';
import { ProductsModule } from './products/products.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfigValues): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRootAsync({
          inject: [AppConfig],
          useFactory: databaseOptions,
        }),
        ProductsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_INTERCEPTOR, useExisting: ConsistencyInterceptor },
      ],
    };
  }
}

function databaseOptions(app: AppConfig): DatabaseModuleOptions {
  const pool = {
    min: app.DB_POOL_MIN,
    idleTimeoutMillis: app.DB_POOL_IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: app.DB_POOL_ACQUIRE_TIMEOUT_MS,
    maxLifetimeSeconds: app.DB_POOL_MAX_LIFETIME_S,
    statementTimeoutMillis: app.DB_STATEMENT_TIMEOUT_MS,
  };
  return {
    primaryUrl: app.DATABASE_URL,
    replicaUrls: app.DATABASE_REPLICA_URLS,
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
    leakWarningMs: app.DB_LEAK_WARNING_MS,
    lastWriteStoreUrl: app.REDIS_CACHE_URL,
    lastWriteTtlMs: app.DB_LAST_WRITE_TTL_MS,
  };
}
