import { ProblemException } from '../common/http/index.js';
import type { LimitDecision } from './rate-limit.service.js';

/** The problem a refused decision answers: 429 with `Retry-After`, or 503 when Redis could not be asked (fail-closed). */
export function limitRefusal({ policy, limit, retryAfterS, unavailable }: LimitDecision): ProblemException {
  return unavailable
    ? new ProblemException(
        503,
        'rate-limit-unavailable',
        `Rate limiting is unavailable, so ${policy} requests are refused; retry shortly.`,
        undefined,
        { retryAfterS },
      )
    : new ProblemException(
        429,
        'rate-limited',
        `Too many requests (${policy}: ${limit} per window); retry in ${retryAfterS} s.`,
        undefined,
        { retryAfterS },
      );
}
