/** RFC 9457 problem details, the body of every error response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Field-level messages for validation failures. */
  errors?: FieldError[];
}

export interface FieldError {
  /** Where the bad value is: `query.limit`, `params.id`, `body.items[0].quantity`. */
  field: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
