import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FieldError, ProblemDetails } from './problem-details.js';

export const PROBLEM_BASE = 'https://store-api.dev/problems/';

/** An HTTP error with a problem `type` slug, optional field errors, and when to retry (429/503). */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly slug: string,
    detail: string,
    readonly errors?: FieldError[],
    /** Seconds, sent as `Retry-After`. */
    readonly retryAfterS?: number,
  ) {
    super(detail, status);
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
