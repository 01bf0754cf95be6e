import type { FastifyReply, FastifyRequest } from 'fastify';
import { CACHE_STATUS_HEADER } from '../cache.constants.js';
import { DEFAULT_CACHE_CONTROL, type CacheableOptions } from '../decorators/cacheable.decorator.js';

const NOT_MODIFIED = Symbol('notModified');

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
