import { z } from 'zod';
import { problemDetailsSchema } from '../http/problem-details.js';

interface ComponentMeta {
  /** The name in `components.schemas`, e.g. `Product`. */
  id: string;
  description?: string;
}

/** What the API answers: each schema is a `components.schemas` entry of the document (output side). */
export const responseComponents = z.registry<ComponentMeta>();
/** JSON request bodies: each schema is a `components.schemas` entry (input side, what a client sends). */
export const requestComponents = z.registry<ComponentMeta>();

/**
 * Names a response schema: the OpenAPI component `id`, referenced by `$ref` wherever a route
 * answers with it. Its `z.infer` is the DTO type; it is never parsed at run time (the contract
 * test checks real responses against it).
 */
export function responseContract<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  responseComponents.add(schema, { id, description });
  return schema;
}

/** Names a request body schema: the component `id`, and the validation of `@Body({ schema })`. */
export function requestContract<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  requestComponents.add(schema, { id, description });
  return schema;
}

/** A timestamp as responses carry it: ISO 8601 in UTC, formatted by the query (`isoTimestamp`). */
export const isoDateTime = z.string().meta({ format: 'date-time', examples: ['2026-11-30T07:00:00.000Z'] });

/** Postgres `integer` (ids, cents, counts). */
export const int32 = z.int32();

/** A keyset page of `item`, registered as the component `id`. */
export function pageOf<T extends z.ZodType>(id: string, item: T) {
  return responseContract(
    id,
    z.object({
      data: z.array(item),
      nextCursor: z
        .string()
        .optional()
        .describe('Pass as `cursor` for the next page (the Link header holds its URL); absent on the last page.'),
    }),
  );
}

/** A 400 as clients get it: the example of the `Problem` component and of every 400. */
export const validationProblemExample = {
  type: 'https://store-api.dev/problems/validation-failed',
  title: 'Bad Request',
  status: 400,
  detail: 'The request has invalid fields; see errors.',
  instance: '/products',
  errors: [{ field: 'query.limit', message: 'must be an integer from 1 to 100' }],
};

/** The `Problem` component: problem details, extension members allowed (e.g. `order` on a declined payment). */
export const problemSchema = responseContract(
  'Problem',
  problemDetailsSchema.loose().meta({ examples: [validationProblemExample] }),
  'RFC 9457 problem details (application/problem+json), the body of every error.',
);
