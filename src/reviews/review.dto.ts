import { z } from 'zod';
import { int32, isoDateTime, pageOf, responseContract } from '../common/openapi/contract.js';
import { userSummarySchema } from '../users/user.dto.js';

export const reviewSchema = responseContract(
  'Review',
  z.object({
    id: int32,
    productId: int32,
    rating: z.int().min(1).max(5),
    comment: z.string(),
    createdAt: isoDateTime,
    user: userSummarySchema.nullable().describe('null if the account is gone'),
  }),
);

export const reviewPageSchema = pageOf('ReviewPage', reviewSchema);

export type ReviewDto = z.infer<typeof reviewSchema>;
