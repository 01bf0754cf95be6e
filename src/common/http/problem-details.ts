import { z } from 'zod';

/** Field-level messages for validation failures. */
export const fieldErrorSchema = z.object({
  field: z.string().describe('Where the bad value is: `query.limit`, `params.id`, `body.items.0.quantity`'),
  message: z.string(),
});

/** RFC 9457 problem details, the body of every error response (the OpenAPI `Problem` component). */
export const problemDetailsSchema = z.object({
  type: z.url().describe('Names the kind of problem, e.g. https://store-api.dev/problems/not-found'),
  title: z.string().describe('The status text, e.g. Not Found'),
  status: z.int().min(400).max(599),
  detail: z.string().optional().describe('What went wrong, for a person'),
  instance: z.string().optional().describe('The request path'),
  errors: z.array(fieldErrorSchema).optional().describe('One entry per invalid field (400, some 422)'),
});

export type FieldError = z.infer<typeof fieldErrorSchema>;
export type ProblemDetails = z.infer<typeof problemDetailsSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
