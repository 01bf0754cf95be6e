import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CacheableRoutesCheck } from './cacheable-routes.check.js';
import { ConfigurableCacheModule } from './cache.module-definition.js';
import { CacheService } from './cache.service.js';
import { CacheInterceptor } from './interceptors/cache.interceptor.js';

/**
 * L1 + L2 cache with bus-synced invalidation and stampede protection. Register `CacheInterceptor`
 * globally (APP_INTERCEPTOR) for `@Cacheable` / `@CacheEvict`. At init, refuses authenticated
 * `@Cacheable` routes without `perUser` (see the `authenticatedMetadata` option).
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [CacheService, CacheInterceptor, CacheableRoutesCheck],
  exports: [CacheService, CacheInterceptor],
})
export class CacheModule extends ConfigurableCacheModule {}
