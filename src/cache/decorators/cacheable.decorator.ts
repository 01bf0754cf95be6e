import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CACHEABLE } from '../cache.constants.js';
import type { CacheKey } from '../cache-keys.js';

export interface CacheableOptions {
  /** Namespace of the entries (bumpable as a whole). */
  namespace: string;
  /** The id within the namespace. @default the request's path and query string */
  key?: (request: FastifyRequest) => CacheKey['id'];
  /** Tags for `invalidateTags`. */
  tags?: (request: FastifyRequest) => string[];
  /** Freshness. @default the module's `defaultTtlMs` */
  ttlMs?: number;
  /** How long a stale response may be served while it is refreshed. @default the module's `defaultGraceMs` */
  staleWhileRevalidateMs?: number;
  /**
   * The response's Cache-Control. A `public` response may be answered from memory before Nest's
   * pipeline runs (no guards): use `private` for anything behind authentication.
   * @default 'public, max-age=30, s-maxage=60, stale-while-revalidate=30'
   */
  cacheControl?: string;
}

/** Caches a GET handler's response: `X-Cache`, a strong `ETag`, `If-None-Match` → 304 from the cache. */
export const Cacheable = (options: CacheableOptions) => SetMetadata(CACHEABLE, options);
