import { z } from 'zod';
import { createdAtIdCursor } from '../common/pagination/keyset-cursor.js';

/** Postgres `integer` ids: 1 … 2^31-1, digits only. */
export const idParam = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,9}$/, 'must be a positive integer id')
    .transform(Number)
    .refine((id) => id <= 2_147_483_647, 'must be a positive integer id'),
});

export const listProductsQuery = z
  .object({
    limit: z
      .string()
      .regex(/^\d+$/, 'must be an integer from 1 to 100')
      .transform(Number)
      .refine((limit) => limit >= 1 && limit <= 100, 'must be an integer from 1 to 100')
      .default(20),
    cursor: createdAtIdCursor.optional(),
  })
  .strict();

export type ListProductsQuery = z.output<typeof listProductsQuery>;
