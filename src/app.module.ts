import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { AnalyticsModule } from './analytics/analytics.module.js';
import { ApiKeysModule, deriveApiKeySecret, type ApiKeysModuleOptions } from './api-keys/index.js';
import { AuthGuard } from './auth/auth.guard.js';
import { CategoriesModule } from './categories/categories.module.js';
import { CheckoutModule } from './checkout/checkout.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ProblemDetailsFilter, SchemaValidationPipe } from './common/http/index.js';
import { AppConfig, appKeyPrefix, redisConnection, type AppConfigValues } from './config/index.js';
import { CacheInterceptor } from './cache/index.js';
import { CoreModule } from './core.module.js';
import { CpuPoolModule } from './cpu-pool/index.js';
import { HealthModule } from './health/index.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OpsModule } from './ops/index.js';
import { RateLimitModule } from './rate-limit/index.js';
import { ConsistencyInterceptor } from './database/index.js';
import { OrdersModule } from './orders/orders.module.js';
import { ProductsModule } from './products/products.module.js';
import { ReviewsModule } from './reviews/reviews.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfigValues): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        // The HTTP edge reads every route's decorators once at start-up.
        DiscoveryModule,
        RateLimitModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (app: AppConfig) => ({
            enabled: app.RATE_LIMIT_ENABLED,
            redis: redisConnection(app, 'cache'),
            keyPrefix: `${appKeyPrefix(app)}:rate-limit`,
            windowMs: app.RATE_LIMIT_WINDOW_MS,
            commandTimeoutMs: app.RATE_LIMIT_TIMEOUT_MS,
            policies: {
              default: { limit: app.RATE_LIMIT_DEFAULT, failClosed: !app.RATE_LIMIT_FAIL_OPEN },
              auth: { limit: app.RATE_LIMIT_AUTH, failClosed: !app.RATE_LIMIT_AUTH_FAIL_OPEN },
              account: { limit: app.RATE_LIMIT_ACCOUNT, failClosed: !app.RATE_LIMIT_AUTH_FAIL_OPEN },
              search: { limit: app.RATE_LIMIT_SEARCH, failClosed: !app.RATE_LIMIT_FAIL_OPEN },
            },
            lease: { max: app.RATE_LIMIT_LEASE_MAX },
          }),
        }),
        ApiKeysModule.forRootAsync({ inject: [AppConfig], useFactory: apiKeysOptions }),
        CpuPoolModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (app: AppConfig) => ({ threads: app.CPU_POOL_THREADS }),
        }),
        AuthModule,
        ProductsModule,
        CategoriesModule,
        OrdersModule,
        ReviewsModule,
        AnalyticsModule,
        CheckoutModule,
        HealthModule,
        MetricsModule,
        OpsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        // Rate limits, API keys and cache hits are the HTTP edge's (src/edge), before Nest.
        { provide: APP_GUARD, useExisting: AuthGuard },
        // Outermost first: cache loaders run inside the request's consistency context.
        { provide: APP_INTERCEPTOR, useExisting: ConsistencyInterceptor },
        { provide: APP_INTERCEPTOR, useExisting: CacheInterceptor },
        // Parameters declared with a schema (`@Query({ schema })`) are parsed against it.
        { provide: APP_PIPE, useClass: SchemaValidationPipe },
      ],
    };
  }
}

/** The API-key registry's slice of the config (also what `scripts/api-keys.ts` runs with). */
export function apiKeysOptions(app: AppConfigValues): ApiKeysModuleOptions {
  return {
    secret: app.API_KEY_SECRET ?? deriveApiKeySecret(app.JWT_SECRET),
    cacheTtlMs: app.API_KEY_CACHE_TTL_MS,
    bus: { redis: redisConnection(app, 'cache'), channel: `${appKeyPrefix(app)}:api-keys` },
  };
}
