import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { retryAfterOf } from './problem-details.filter.js';
import { DEFAULT_RETRY_AFTER_S, NotFoundProblem, ProblemException } from './problem.exception.js';

describe('retryAfterOf', () => {
  it("sends the thrower's Retry-After, whole seconds", () => {
    expect(retryAfterOf(new ProblemException(503, 'x', 'down', undefined, { retryAfterS: 7 }), 503)).toBe(7);
    expect(retryAfterOf(new ProblemException(429, 'x', 'slow down', undefined, { retryAfterS: 0.2 }), 429)).toBe(1);
  });

  it('gives every other 503 the default, and other errors none', () => {
    expect(retryAfterOf(new ServiceUnavailableException('database down'), 503)).toBe(DEFAULT_RETRY_AFTER_S);
    expect(retryAfterOf(new ProblemException(503, 'x', 'down'), 503)).toBe(DEFAULT_RETRY_AFTER_S);
    expect(retryAfterOf(new NotFoundProblem('gone'), 404)).toBeUndefined();
    expect(retryAfterOf(new NotFoundException(), 404)).toBeUndefined();
    expect(retryAfterOf(new Error('boom'), 500)).toBeUndefined();
  });
});
