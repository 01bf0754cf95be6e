import { HttpException } from '@nestjs/common';
import type { FieldError } from './problem-details.js';

/** An HTTP error with a problem `type` slug and optional field errors. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly slug: string,
    detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail, status);
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
