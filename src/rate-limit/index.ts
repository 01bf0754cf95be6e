export { RateLimit, SkipRateLimit } from './rate-limit.decorator.js';
export { RateLimitGuard } from './rate-limit.guard.js';
export { RateLimitModule } from './rate-limit.module.js';
export type { RateLimitModuleOptions, RateLimitPolicy } from './rate-limit.options.js';
export { RateLimitStats } from './rate-limit-stats.js';
