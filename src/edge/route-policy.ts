import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import { AUTHENTICATED } from '../auth/auth.constants.js';
import type { AuthenticatedOptions } from '../auth/authenticated.decorator.js';
import { CACHEABLE, type CacheableOptions } from '../cache/index.js';
import { CHOOSES_STATUS } from '../common/http/index.js';
import { PAGINATED, type PaginatedOptions } from '../common/pagination/paginated.decorator.js';
import { RATE_LIMIT_POLICIES, RATE_LIMIT_SKIP } from '../rate-limit/index.js';

/** What the edge does for one route, read from its decorators once, at start-up. */
export interface RoutePolicy {
  /** Rate-limit policies counted, `default` first; empty: never limited (`@SkipRateLimit`). */
  limits: readonly string[];
  /** A `@Cacheable` GET: a 304 it decides is made where the reply is sent. */
  cacheable?: CacheableOptions;
  /** Public (not per user): the edge answers its fresh hits itself, before Nest. */
  answeredByEdge: boolean;
  /** `@Authenticated`: the response is private unless the route sets its own Cache-Control. */
  authenticated: boolean;
  /** `@ChoosesStatus`: the handler's `chooseStatus` is applied where the reply is sent. */
  choosesStatus?: boolean;
  /** `@Paginated`: a 200 naming a next page carries `Link: <…>; rel="next"`. */
  paginated?: PaginatedOptions;
}

/** Routes Nest does not declare (404s, Bull Board, the docs): counted under `default`, nothing else. */
export const DEFAULT_ROUTE_POLICY: RoutePolicy = Object.freeze({
  limits: Object.freeze(['default']),
  answeredByEdge: false,
  authenticated: false,
});

const POLICY = 'edge';

/**
 * Reads every controller method's decorators (`@RateLimit`, `@SkipRateLimit`, `@Cacheable`,
 * `@Authenticated`, `@Paginated`, on the method or its class) and stores the resulting `RoutePolicy` in the
 * Fastify route config Nest will register the route with — so a hook finds it on
 * `request.routeOptions.config` with no lookup per request. Call before routes are registered
 * (before `app.init()`). (The cache module refuses, at init, a route both authenticated and
 * cacheable without a per-user key.)
 */
export function attachRoutePolicies(app: NestFastifyApplication): void {
  const reflector = app.get(Reflector);
  const scanner = app.get(MetadataScanner);
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const methodName of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[methodName] as (...args: unknown[]) => unknown;
      if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      const targets = [handler, metatype];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] ?? 'GET';
      const skip = reflector.getAllAndOverride<boolean>(RATE_LIMIT_SKIP, targets) ?? false;
      const named = reflector.getAllAndOverride<string[]>(RATE_LIMIT_POLICIES, targets) ?? [];
      const cacheable = reflector.getAllAndOverride<CacheableOptions | undefined>(CACHEABLE, targets);
      const authenticated = reflector.getAllAndOverride<AuthenticatedOptions | undefined>(AUTHENTICATED, targets);
      const paginated = reflector.getAllAndOverride<PaginatedOptions | undefined>(PAGINATED, targets);
      const policy: RoutePolicy = {
        limits: skip ? [] : ['default', ...named.filter((name) => name !== 'default')],
        authenticated: authenticated !== undefined,
        answeredByEdge: cacheable !== undefined && method === 'GET' && isPublic(cacheable),
        choosesStatus: reflector.getAllAndOverride<boolean>(CHOOSES_STATUS, targets) ?? false,
        ...(cacheable && method === 'GET' ? { cacheable } : {}),
        ...(paginated ? { paginated } : {}),
      };
      const existing = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as Record<string, unknown>;
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...existing, [POLICY]: policy }, handler);
    }
  }
}

function isPublic(options: CacheableOptions): boolean {
  return !options.perUser && (!options.cacheControl || /(^|,)\s*public\b/.test(options.cacheControl));
}

/** The policy in a route's Fastify config, if Nest registered it with one. */
export function routePolicyIn(config: unknown): RoutePolicy | undefined {
  return (config as { [POLICY]?: RoutePolicy } | undefined)?.[POLICY];
}
