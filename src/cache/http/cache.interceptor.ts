import {
  HttpException,
  Injectable,
  NotFoundException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, lastValueFrom, mergeMap } from 'rxjs';
import { CACHEABLE, CACHE_EVICT } from '../cache.constants.js';
import { CacheService } from '../cache.service.js';
import type { CacheEvictOptions } from '../decorators/cache-evict.decorator.js';
import type { CacheableOptions } from '../decorators/cacheable.decorator.js';
import type { CacheKey } from '../cache-keys.js';
import { etagMatches, markNotModified, setCacheHeaders } from './cache-http.js';
import { httpCacheKey } from './http-cache-key.js';

/**
 * HTTP side of the cache, for what the edge's fast path (`CacheFastPath`) did not answer.
 * `@Cacheable` GETs are answered from the cache (`X-Cache: HIT|MISS|STALE`, `ETag`,
 * `Cache-Control`); a matching `If-None-Match` is a 304 without running the handler.
 * `@CacheEvict` invalidations run after the handler succeeded.
 */
@Injectable()
export class CacheInterceptor implements NestInterceptor {
  constructor(
    private readonly cache: CacheService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const targets = [context.getHandler(), context.getClass()];
    const cacheable = this.reflector.getAllAndOverride<CacheableOptions | undefined>(CACHEABLE, targets);
    const evict = this.reflector.getAllAndOverride<CacheEvictOptions | undefined>(CACHE_EVICT, targets);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    // Caching off (a benchmark baseline, an incident switch): the handler answers, no validators computed.
    if (cacheable && request.method === 'GET' && this.cache.enabled) {
      // Not cacheable (e.g. a query the route's schema rejects): the handler answers, nothing is stored.
      const key = httpCacheKey(request, cacheable);
      return key ? from(this.serve(key, cacheable, request, reply, next)) : next.handle();
    }
    if (evict)
      return next.handle().pipe(mergeMap((result) => from(this.evict(evict, request, result).then(() => result))));
    return next.handle();
  }

  private async serve(
    key: CacheKey,
    options: CacheableOptions,
    request: FastifyRequest,
    reply: FastifyReply,
    next: CallHandler,
  ): Promise<unknown> {
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch) {
      const cached = await this.cache.peek(key);
      if (cached && !cached.stale && etagMatches(ifNoneMatch, cached.etag))
        return this.notModified(request, reply, cached.etag, options, 'HIT');
    }
    // A 404 is cached as "not found" (negative caching, short TTL) and answered the same way each time.
    const load = () =>
      lastValueFrom(next.handle()).catch((error: unknown) => (isNotFound(error) ? null : Promise.reject(error)));
    const entry = await this.cache.getOrSetEntry(key, load, {
      ttlMs: options.ttlMs,
      graceMs: options.staleWhileRevalidateMs,
      tags: options.tags?.(request),
    });
    if (entry.value === null) throw new NotFoundException(`${request.url.split('?')[0]} was not found.`);
    if (ifNoneMatch && etagMatches(ifNoneMatch, entry.etag))
      return this.notModified(request, reply, entry.etag, options, entry.status);
    setCacheHeaders(reply, entry.status, entry.etag, options);
    return entry.value;
  }

  private notModified(
    request: FastifyRequest,
    reply: FastifyReply,
    etag: string,
    options: CacheableOptions,
    status: string,
  ): undefined {
    markNotModified(request);
    setCacheHeaders(reply, status, etag, options);
    return undefined;
  }

  private async evict(options: CacheEvictOptions, request: FastifyRequest, result: unknown): Promise<void> {
    const keys = options.keys?.(request, result) ?? [];
    const tags = options.tags?.(request, result) ?? [];
    if (keys.length) await this.cache.delete(...keys);
    if (tags.length) await this.cache.invalidateTags(tags);
    for (const namespace of options.namespaces ?? []) await this.cache.bumpNamespace(namespace);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof HttpException && error.getStatus() === 404;
}
