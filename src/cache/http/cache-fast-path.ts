import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CacheService, type FreshCopy } from '../cache.service.js';
import type { CacheableOptions } from '../decorators/cacheable.decorator.js';
import { etagMatches, setCacheHeaders } from './cache-http.js';
import { httpCacheKey } from './http-cache-key.js';

/**
 * Answers a public `@Cacheable` GET from a fresh entry before Nest's pipeline (interceptors cost
 * ~35 % of a cached request's time): from memory synchronously, else after one Redis GET. Anything
 * else (a miss, a stale or "not found" entry, a query that is not cacheable) goes on to the
 * `CacheInterceptor`.
 */
@Injectable()
export class CacheFastPath {
  constructor(private readonly cache: CacheService) {}

  /** Whether it answered (200 or 304); a promise only when memory lacked the entry. */
  answer(request: FastifyRequest, reply: FastifyReply, options: CacheableOptions): boolean | Promise<boolean> {
    const key = httpCacheKey(request, options);
    if (!key) return false;
    const memory = this.cache.peekMemory(key);
    if (memory) return memory.value !== null && this.send(request, reply, memory, options);
    return this.cache.peekShared(key).then(
      (shared) => shared !== undefined && shared.value !== null && this.send(request, reply, shared, options),
      () => false,
    );
  }

  private send(request: FastifyRequest, reply: FastifyReply, hit: FreshCopy<unknown>, options: CacheableOptions) {
    const ifNoneMatch = request.headers['if-none-match'];
    setCacheHeaders(reply, 'HIT', hit.etag, options);
    if (ifNoneMatch && etagMatches(ifNoneMatch, hit.etag)) void reply.code(304).send();
    else void reply.header('content-type', 'application/json; charset=utf-8').send(hit.body());
    return true;
  }
}
