import type { FastifyReply, FastifyRequest } from 'fastify';
import { CACHE_STATUS_HEADER } from '../cache.constants.js';
import type { CacheKey } from '../cache-keys.js';
import type { CacheableOptions } from '../decorators/cacheable.decorator.js';

const DEFAULT_CACHE_CONTROL = 'public, max-age=30, s-maxage=60, stale-while-revalidate=30';
const NOT_MODIFIED = Symbol('notModified');

/** The entry a `@Cacheable` request reads. */
export function cacheKeyOf(request: FastifyRequest, options: CacheableOptions): CacheKey {
  return { namespace: options.namespace, id: options.key?.(request) ?? request.url };
}

export function setCacheHeaders(reply: FastifyReply, status: string, etag: string, options: CacheableOptions): void {
  reply
    .header(CACHE_STATUS_HEADER, status)
    .header('etag', etag)
    .header('cache-control', options.cacheControl ?? DEFAULT_CACHE_CONTROL);
}

export function etagMatches(header: string, etag: string): boolean {
  return header === '*' || header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** Nest sets the route's status after interceptors: a 304 decided there is made where the reply is sent. */
export function markNotModified(request: FastifyRequest): void {
  (request as FastifyRequest & { [NOT_MODIFIED]?: boolean })[NOT_MODIFIED] = true;
}

/** For an `onSend` hook: the payload to send (empty, with status 304, for a request marked not modified). */
export function notModifiedPayload<T>(request: FastifyRequest, reply: FastifyReply, payload: T): T | '' {
  if (!(request as FastifyRequest & { [NOT_MODIFIED]?: boolean })[NOT_MODIFIED]) return payload;
  reply.code(304).removeHeader('content-type').removeHeader('content-length');
  return '';
}
