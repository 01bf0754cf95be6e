import {
  HttpException,
  Injectable,
  NotFoundException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, lastValueFrom, mergeMap } from 'rxjs';
import { CACHEABLE, CACHE_EVICT, CACHE_STATUS_HEADER } from '../cache.constants.js';
import type { CacheKey } from '../cache-keys.js';
import { CacheService, type FreshCopy } from '../cache.service.js';
import type { CacheEvictOptions } from '../decorators/cache-evict.decorator.js';
import { DEFAULT_CACHE_CONTROL, type CacheableOptions } from '../decorators/cacheable.decorator.js';
import { httpCacheKey } from '../http-cache-key.js';

const NOT_MODIFIED = Symbol('notModified');

/**
 * HTTP side of the cache. `@Cacheable` GETs are answered from the cache (`X-Cache: HIT|MISS|STALE`,
 * `ETag`, `Cache-Control`); a matching `If-None-Match` is a 304 without running the handler.
 * `@CacheEvict` invalidations run after the handler succeeded.
 */
@Injectable()
export class CacheInterceptor implements NestInterceptor, OnModuleInit {
  constructor(
    private readonly cache: CacheService,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    // Fast path: a public, fresh hit, in memory or else in Redis, is answered before Nest's
    // pipeline (interceptors cost ~35 % of a cached request's time here); anything else goes on to
    // `intercept`.
    fastify.addHook('preHandler', (request, reply, done) => {
      if (!answeredBeforeGuards(request)) return done();
      const options = cacheableOf(request)!;
      const key = httpCacheKey(request, options);
      if (!key) return done();
      const memory = this.cache.peekMemory(key);
      if (memory) return memory.value === null ? done() : this.sendHit(request, reply, memory, options);
      this.cache.peekShared(key).then(
        (shared) => (shared && shared.value !== null ? this.sendHit(request, reply, shared, options) : done()),
        () => done(),
      );
    });
    // Nest sets the route's status after interceptors; a 304 is made where Fastify sends.
    fastify.addHook('onSend', async (request, reply, payload) => {
      if (!(request as FastifyRequest & { [NOT_MODIFIED]?: boolean })[NOT_MODIFIED]) return payload;
      reply.code(304).removeHeader('content-type').removeHeader('content-length');
      return '';
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const targets = [context.getHandler(), context.getClass()];
    const cacheable = this.reflector.getAllAndOverride<CacheableOptions | undefined>(CACHEABLE, targets);
    const evict = this.reflector.getAllAndOverride<CacheEvictOptions | undefined>(CACHE_EVICT, targets);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (cacheable && request.method === 'GET') {
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
    this.headers(reply, entry.status, entry.etag, options);
    return entry.value;
  }

  private sendHit(request: FastifyRequest, reply: FastifyReply, hit: FreshCopy<unknown>, options: CacheableOptions) {
    const ifNoneMatch = request.headers['if-none-match'];
    this.headers(reply, 'HIT', hit.etag, options);
    if (ifNoneMatch && etagMatches(ifNoneMatch, hit.etag)) return void reply.code(304).send();
    void reply.header('content-type', 'application/json; charset=utf-8').send(hit.json());
  }

  private notModified(
    request: FastifyRequest,
    reply: FastifyReply,
    etag: string,
    options: CacheableOptions,
    status: string,
  ): undefined {
    (request as FastifyRequest & { [NOT_MODIFIED]?: boolean })[NOT_MODIFIED] = true;
    this.headers(reply, status, etag, options);
    return undefined;
  }

  private headers(reply: FastifyReply, status: string, etag: string, options: CacheableOptions): void {
    reply
      .header(CACHE_STATUS_HEADER, status)
      .header('etag', etag)
      .header('cache-control', options.cacheControl ?? DEFAULT_CACHE_CONTROL);
  }

  private async evict(options: CacheEvictOptions, request: FastifyRequest, result: unknown): Promise<void> {
    const keys = options.keys?.(request, result) ?? [];
    const tags = options.tags?.(request, result) ?? [];
    if (keys.length) await this.cache.delete(...keys);
    if (tags.length) await this.cache.invalidateTags(tags);
    for (const namespace of options.namespaces ?? []) await this.cache.bumpNamespace(namespace);
  }
}

const cacheableOf = (request: FastifyRequest) =>
  (request.routeOptions.config as { [CACHEABLE]?: CacheableOptions } | undefined)?.[CACHEABLE];

/**
 * Whether the cache may answer this request in a Fastify hook, before Nest's guards run (a public
 * `@Cacheable` GET, not `perUser`). What guards enforce for every request (rate limits) must be
 * applied to these in a Fastify hook too.
 */
export function answeredBeforeGuards(request: FastifyRequest): boolean {
  const options = cacheableOf(request);
  return request.method === 'GET' && options !== undefined && isPublic(options);
}

function isPublic(options: CacheableOptions): boolean {
  return !options.perUser && (!options.cacheControl || /(^|,)\s*public\b/.test(options.cacheControl));
}

function isNotFound(error: unknown): boolean {
  return error instanceof HttpException && error.getStatus() === 404;
}

function etagMatches(header: string, etag: string): boolean {
  return header === '*' || header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
