export type { CacheKey } from './cache-keys.js';
export { CacheModule } from './cache.module.js';
export { CACHE_MODULE_OPTIONS } from './cache.module-definition.js';
export type { CacheModuleOptions } from './cache.options.js';
export { CacheService, type CachedEntry, type SetOptions } from './cache.service.js';
export { CacheEvict, type CacheEvictOptions } from './decorators/cache-evict.decorator.js';
export { Cacheable, type CacheableOptions } from './decorators/cacheable.decorator.js';
export { CacheInterceptor, answeredBeforeGuards } from './interceptors/cache.interceptor.js';
export type { CustomType } from './internal/cache-codec.js';
