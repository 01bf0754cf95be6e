import { Inject, Injectable, RequestMethod, type OnModuleInit } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { CACHEABLE } from './cache.constants.js';
import { CACHE_MODULE_OPTIONS } from './cache.module-definition.js';
import type { CacheModuleOptions } from './cache.options.js';
import type { CacheableOptions } from './decorators/cacheable.decorator.js';

/**
 * Refuses a `@Cacheable` route that is also authenticated (one of `authenticatedMetadata` on its
 * handler or class) without `perUser`: its one entry per URL would be sent to every caller, and a
 * public one before the auth guard even runs. Throws naming every such route.
 */
export function assertCacheableRoutesSafe(
  discovery: DiscoveryService,
  reflector: Reflector,
  authenticatedMetadata: readonly string[],
): void {
  if (!authenticatedMetadata.length) return;
  const scanner = new MetadataScanner();
  const unsafe: string[] = [];
  for (const { metatype } of discovery.getControllers()) {
    if (typeof metatype !== 'function') continue;
    for (const name of scanner.getAllMethodNames(metatype.prototype as object)) {
      const handler = (metatype.prototype as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
      const targets = [handler, metatype];
      const cacheable = reflector.getAllAndOverride<CacheableOptions | undefined>(CACHEABLE, targets);
      if (!cacheable || cacheable.perUser) continue;
      if (authenticatedMetadata.some((key) => reflector.getAllAndOverride(key, targets) !== undefined))
        unsafe.push(routeName(metatype, name, handler));
    }
  }
  if (unsafe.length)
    throw new Error(
      `@Cacheable on authenticated route(s) without perUser: ${unsafe.join('; ')}. ` +
        'Add perUser: true (one private entry per caller) or drop @Cacheable.',
    );
}

/** Runs `assertCacheableRoutesSafe` when the app initializes, with the module's options. */
@Injectable()
export class CacheableRoutesCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    @Inject(CACHE_MODULE_OPTIONS) private readonly options: CacheModuleOptions,
  ) {}

  onModuleInit(): void {
    assertCacheableRoutesSafe(this.discovery, this.reflector, this.options.authenticatedMetadata ?? []);
  }
}

function routeName(controller: object, name: string, handler: object): string {
  const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] ?? 'GET';
  const path = [Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler)]
    .map((part: unknown) => String((Array.isArray(part) ? part[0] : part) ?? '').replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `${(controller as { name: string }).name}.${name} (${method} /${path})`;
}
