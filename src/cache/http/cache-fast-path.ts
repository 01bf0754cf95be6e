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

  /**
   * Whether it answered (200 or 304); a promise only when memory lacked the entry. `beforeBody`
   * sees the cached value before a 200 is sent: for headers derived from it (the edge's `Link`),
   * which the handler's path adds from the same value.
   */
  answer(
    request: FastifyRequest,
    reply: FastifyReply,
    options: CacheableOptions,
    beforeBody?: (value: unknown) => void,
  ): boolean | Promise<boolean> {
    const key = httpCacheKey(request, options);
    if (!key) return false;
    const memory = this.cache.peekMemory(key);
    if (memory) return memory.value !== null && this.send(request, reply, memory, options, beforeBody);
    return this.cache.peekShared(key).then(
      (shared) =>
        shared !== undefined && shared.value !== null && this.send(request, reply, shared, options, beforeBody),
      () => false,
    );
  }

  private send(
    request: FastifyRequest,
    reply: FastifyReply,
    hit: FreshCopy<unknown>,
    options: CacheableOptions,
    beforeBody?: (value: unknown) => void,
  ) {
    const ifNoneMatch = request.headers['if-none-match'];
    setCacheHeaders(reply, 'HIT', hit.etag, options);
    if (ifNoneMatch && etagMatches(ifNoneMatch, hit.etag)) void reply.code(304).send();
    else {
      beforeBody?.(hit.value);
      void reply.header('content-type', 'application/json; charset=utf-8').send(hit.body());
    }
    return true;
  }
}
