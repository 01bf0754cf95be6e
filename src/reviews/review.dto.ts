import { z } from 'zod';
import { int32, isoDateTime, pageOf, responseContract } from '../common/openapi/contract.js';
import { userSummarySchema } from '../users/user.dto.js';

export const reviewSchema = responseContract(
  'Review',
  z.object({
    id: int32,
    productId: int32,
    rating: z.int().min(1).max(5),
    comment: z.string().optional().describe('Absent when the review has only a rating'),
    createdAt: isoDateTime,
    user: userSummarySchema.optional().describe('Absent if the account is gone'),
  }),
);

/** The fields `?fields=` may name on reviews. */
export const REVIEW_FIELDS = ['id', 'productId', 'rating', 'comment', 'createdAt', 'user'] as const;

export const reviewPageSchema = pageOf('ReviewPage', reviewSchema);

export type ReviewDto = z.infer<typeof reviewSchema>;
