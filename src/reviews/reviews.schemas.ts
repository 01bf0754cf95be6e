import { z } from 'zod';
import { STORABLE_TEXT, isStorableText, limitParam } from '../common/http/query-params.js';
import { fieldsParam } from '../common/http/sparse-fields.js';
import { REVIEW_FIELDS } from './review.dto.js';
import { createdAtIdCursor } from '../common/pagination/keyset-cursor.js';
import { requestContract } from '../common/openapi/contract.js';

export const listReviewsQuery = z
  .object({
    limit: limitParam,
    cursor: createdAtIdCursor.optional(),
    fields: fieldsParam(REVIEW_FIELDS).optional(),
  })
  .strict();

export const createReviewBody = requestContract(
  'ReviewRequest',
  z
    .object({
      rating: z
        .number({ error: 'must be a number' })
        .int('must be a whole number')
        .min(1, 'must be from 1 to 5')
        .max(5, 'must be from 1 to 5'),
      comment: z
        .string({ error: 'must be text' })
        .trim()
        .max(2_000, 'must be at most 2,000 characters')
        .refine(isStorableText, STORABLE_TEXT)
        .default(''),
    })
    .strict(),
);

export type ListReviewsQuery = z.output<typeof listReviewsQuery>;
export type CreateReviewBody = z.output<typeof createReviewBody>;
