import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CACHE_EVICT } from '../cache.constants.js';
import type { CacheKey } from '../cache-keys.js';

export interface CacheEvictOptions {
  /** Entries to delete. */
  keys?: (request: FastifyRequest, result: unknown) => CacheKey[];
  /** Tags to invalidate. */
  tags?: (request: FastifyRequest, result: unknown) => string[];
  /** Namespaces to bump (everything in them). */
  namespaces?: string[];
}

/** After the handler succeeds (never after a failure), invalidates what it names. */
export const CacheEvict = (options: CacheEvictOptions) => SetMetadata(CACHE_EVICT, options);
