import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FieldError, ProblemDetails } from './problem-details.js';

export const PROBLEM_BASE = 'https://store-api.dev/problems/';

/** A 503 without a thrower's own value asks clients to come back after this many seconds. */
export const DEFAULT_RETRY_AFTER_S = 2;

export interface ProblemOptions {
  /** Sent as `Retry-After` (seconds); a 503 gets {@link DEFAULT_RETRY_AFTER_S} when unset. */
  retryAfterS?: number;
  cause?: unknown;
}

/** An HTTP error with a problem `type` slug and optional field errors. */
export class ProblemException extends HttpException {
  readonly retryAfterS?: number;

  constructor(
    status: number,
    readonly slug: string,
    detail: string,
    readonly errors?: FieldError[],
    options: ProblemOptions = {},
  ) {
    super(detail, status, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterS = options.retryAfterS;
  }

  /** The problem+json body (without `instance`, which depends on the request). */
  toProblem(): ProblemDetails {
    return {
      type: `${PROBLEM_BASE}${this.slug}`,
      title: STATUS_CODES[this.getStatus()] ?? 'Error',
      status: this.getStatus(),
      detail: this.message,
      ...(this.errors?.length ? { errors: this.errors } : {}),
    };
  }
}

export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[]) {
    super(400, 'validation-failed', 'The request has invalid fields; see errors.', errors);
  }
}

export class NotFoundProblem extends ProblemException {
  constructor(detail: string) {
    super(404, 'not-found', detail);
  }
}

export class ConflictProblem extends ProblemException {
  constructor(detail: string) {
    super(409, 'conflict', detail);
  }
}

export class UnprocessableProblem extends ProblemException {
  constructor(detail: string, errors?: FieldError[]) {
    super(422, 'unprocessable', detail, errors);
  }
}
