import { Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getOptionsToken, getStorageToken, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { RATE_LIMIT_POLICIES } from './rate-limit.constants.js';
import { ConfigurableRateLimitModule, RATE_LIMIT_OPTIONS } from './rate-limit.module-definition.js';
import type { RateLimitModuleOptions } from './rate-limit.options.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitStats } from './rate-limit-stats.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

/** The throttlers `@nestjs/throttler` runs: one per policy; named ones only where a route asks. */
function throttlerOptions(options: RateLimitModuleOptions, reflector: Reflector): ThrottlerModuleOptions {
  return {
    throttlers: Object.entries(options.policies).map(([name, policy]) => ({
      name,
      limit: policy.limit,
      ttl: options.windowMs ?? 60_000,
      skipIf:
        name === 'default'
          ? undefined
          : (context) =>
              !(
                reflector.getAllAndOverride<string[]>(RATE_LIMIT_POLICIES, [
                  context.getHandler(),
                  context.getClass(),
                ]) ?? []
              ).includes(name),
    })),
  };
}

/**
 * Rate limits shared by every instance: `@nestjs/throttler`'s guard over a Redis sliding-window
 * storage. Register `RateLimitGuard` as an APP_GUARD after the auth guard; `@RateLimit('auth')`
 * adds a named policy to a route, `@SkipRateLimit()` exempts one.
 */
@Global()
@Module({
  providers: [
    RateLimitGuard,
    RateLimitStats,
    {
      provide: getOptionsToken(),
      inject: [RATE_LIMIT_OPTIONS, Reflector],
      useFactory: throttlerOptions,
    },
    {
      provide: getStorageToken(),
      inject: [RATE_LIMIT_OPTIONS],
      useFactory: (options: RateLimitModuleOptions) =>
        new RedisThrottlerStorage(options.redis, options.keyPrefix ?? 'rate-limit', options.commandTimeoutMs ?? 100),
    },
  ],
  exports: [RateLimitGuard, RateLimitStats],
})
export class RateLimitModule extends ConfigurableRateLimitModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(getStorageToken()) private readonly storage: RedisThrottlerStorage) {
    super();
  }

  async onModuleInit(): Promise<void> {
    // Bounded: with Redis down the app starts anyway, and the failure policies apply.
    await this.storage.ready();
  }

  onApplicationShutdown(): void {
    this.storage.close();
  }
}
