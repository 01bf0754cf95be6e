import { SetMetadata } from '@nestjs/common';
import { RATE_LIMIT_POLICIES, RATE_LIMIT_SKIP } from './rate-limit.constants.js';

/** Applies named policies (e.g. `auth`, `search`) to a route, on top of `default`. */
export const RateLimit = (...policies: string[]) => SetMetadata(RATE_LIMIT_POLICIES, policies);

/** No rate limit at all (health probes, metrics scrapes). */
export const SkipRateLimit = () => SetMetadata(RATE_LIMIT_SKIP, true);
