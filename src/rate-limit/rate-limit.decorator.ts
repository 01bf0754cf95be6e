import { SetMetadata, applyDecorators } from '@nestjs/common';
import { MergeRouteConfig } from '../common/http/route-config.js';
import { RATE_LIMIT_POLICIES, RATE_LIMIT_SKIP } from './rate-limit.constants.js';

/**
 * Applies named policies (e.g. `auth`, `search`) to a route, on top of `default`. Also on the
 * Fastify route, for requests the cache answers before the guards.
 */
export const RateLimit = (...policies: string[]) =>
  applyDecorators(SetMetadata(RATE_LIMIT_POLICIES, policies), MergeRouteConfig({ [RATE_LIMIT_POLICIES]: policies }));

/** No rate limit at all (health probes, metrics scrapes). */
export const SkipRateLimit = () => SetMetadata(RATE_LIMIT_SKIP, true);
