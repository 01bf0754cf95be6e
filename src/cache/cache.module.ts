import { Global, Module } from '@nestjs/common';
import { ConfigurableCacheModule } from './cache.module-definition.js';
import { CacheService } from './cache.service.js';
import { CacheInterceptor } from './interceptors/cache.interceptor.js';

/**
 * L1 + L2 cache with bus-synced invalidation and stampede protection. Register `CacheInterceptor`
 * globally (APP_INTERCEPTOR) for `@Cacheable` / `@CacheEvict`.
 */
@Global()
@Module({ providers: [CacheService, CacheInterceptor], exports: [CacheService, CacheInterceptor] })
export class CacheModule extends ConfigurableCacheModule {}
