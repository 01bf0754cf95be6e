import { z } from 'zod';
import { createdAtIdCursor } from '../common/pagination/keyset-cursor.js';
import { positiveId } from '../products/products.schemas.js';

const ORDER_STATUSES = ['pending', 'payment_pending', 'paid', 'payment_failed', 'cancelled', 'shipped'] as const;

const limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .refine((value) => value >= 1 && value <= 100, 'must be an integer from 1 to 100')
  .default(20);

export const listOrdersQuery = z.object({ limit, cursor: createdAtIdCursor.optional() }).strict();

export const adminOrdersQuery = z
  .object({
    limit,
    cursor: createdAtIdCursor.optional(),
    status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }).optional(),
    userId: positiveId.optional(),
  })
  .strict();

export type ListOrdersQuery = z.output<typeof listOrdersQuery>;
export type AdminOrdersQuery = z.output<typeof adminOrdersQuery>;
