import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CacheableRoutesCheck } from './cacheable-routes.check.js';
import { ConfigurableCacheModule } from './cache.module-definition.js';
import { CacheService } from './cache.service.js';
import { CacheFastPath } from './http/cache-fast-path.js';
import { CacheInterceptor } from './http/cache.interceptor.js';

/**
 * L1 + L2 cache with bus-synced invalidation and stampede protection. Register `CacheInterceptor`
 * globally (APP_INTERCEPTOR) for `@Cacheable` / `@CacheEvict`; an HTTP edge may answer fresh hits
 * of public `@Cacheable` routes before Nest with `CacheFastPath`. At init, refuses authenticated
 * `@Cacheable` routes without `perUser` (see the `authenticatedMetadata` option).
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [CacheService, CacheInterceptor, CacheFastPath, CacheableRoutesCheck],
  exports: [CacheService, CacheInterceptor, CacheFastPath],
})
export class CacheModule extends ConfigurableCacheModule {}
