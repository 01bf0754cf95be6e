import { Global, Module } from '@nestjs/common';
import { ConfigurableRateLimitModule } from './rate-limit.module-definition.js';
import { RateLimitService } from './rate-limit.service.js';
import { RateLimitStats } from './rate-limit-stats.js';

/**
 * Rate limits shared by every instance: a sliding window per client and policy in Redis, spent
 * through local leases. The HTTP edge counts every request (`RateLimitService.consume`) with the
 * policies its route names: `@RateLimit('search')` adds one to `default`, `@SkipRateLimit()` exempts.
 */
@Global()
@Module({
  providers: [RateLimitService, RateLimitStats],
  exports: [RateLimitService, RateLimitStats],
})
export class RateLimitModule extends ConfigurableRateLimitModule {}
