import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CACHEABLE } from '../cache.constants.js';
import type { QuerySchema } from '../http/http-cache-key.js';

export interface CacheableOptions {
  /** Namespace of the entries (bumpable as a whole). One route per namespace. */
  namespace: string;
  /**
   * The schema the handler validates its query with (e.g. a zod object). The key is built from
   * the parsed query, so spellings of one query share an entry; a query it rejects is neither
   * looked up nor stored. Without it the route takes no query: a query string is not cached.
   */
  query?: QuerySchema;
  /**
   * Path params that are part of the key, in this order. Their values are used as sent, so the
   * handler's schema for them must accept one spelling per value (as `positiveId` does).
   * @default none
   */
  params?: readonly string[];
  /**
   * One entry per caller: the key includes `request.user.id` (set by the auth guard), the response
   * is `private`, and the entry is only answered after the guards. Required on a route behind
   * authentication (checked at boot). A request without a user is not cached.
   * @default false
   */
  perUser?: boolean;
  /** Tags for `invalidateTags`: keep them per item (few entries per tag), never one for all. */
  tags?: (request: FastifyRequest) => string[];
  /** Freshness. @default the module's `defaultTtlMs` */
  ttlMs?: number;
  /** How long a stale response may be served while it is refreshed. @default the module's `defaultGraceMs` */
  staleWhileRevalidateMs?: number;
  /**
   * The response's Cache-Control. A `public` response may be answered from the cache before Nest's
   * pipeline runs (no guards). Must be `private` with `perUser`.
   * @default 'public, max-age=30, s-maxage=60, stale-while-revalidate=30'; with `perUser`, 'private, no-cache'
   */
  cacheControl?: string;
}

export const DEFAULT_CACHE_CONTROL = 'public, max-age=30, s-maxage=60, stale-while-revalidate=30';
const DEFAULT_PRIVATE_CACHE_CONTROL = 'private, no-cache';

/** Caches a GET handler's response: `X-Cache`, a strong `ETag`, `If-None-Match` → 304 from the cache. */
export const Cacheable = (options: CacheableOptions): MethodDecorator => {
  if (options.perUser && options.cacheControl && !isPrivate(options.cacheControl))
    throw new Error(`@Cacheable({ perUser: true }) needs a private Cache-Control, not '${options.cacheControl}'`);
  const resolved: CacheableOptions = {
    ...options,
    cacheControl: options.cacheControl ?? (options.perUser ? DEFAULT_PRIVATE_CACHE_CONTROL : DEFAULT_CACHE_CONTROL),
  };
  return SetMetadata(CACHEABLE, resolved);
};

const isPrivate = (cacheControl: string) => /(^|,)\s*private\b/.test(cacheControl);
