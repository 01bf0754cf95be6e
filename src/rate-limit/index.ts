export { RATE_LIMIT_POLICIES, RATE_LIMIT_SKIP } from './rate-limit.constants.js';
export { RateLimit, SkipRateLimit } from './rate-limit.decorator.js';
export { RateLimitModule } from './rate-limit.module.js';
export type { RateLimitModuleOptions, RateLimitPolicy } from './rate-limit.options.js';
export { RateLimitService, type LimitDecision } from './rate-limit.service.js';
export { RateLimitStats } from './rate-limit-stats.js';
export { RATE_LIMIT_OPTIONS } from './rate-limit.module-definition.js';
export { limitRefusal } from './limit-refusal.js';
