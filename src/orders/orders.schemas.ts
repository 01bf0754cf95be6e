import { z } from 'zod';
import { createdAtIdCursor } from '../common/pagination/keyset-cursor.js';
import { isSqlDate, limitParam, positiveId } from '../common/http/query-params.js';
import { fieldsParam } from '../common/http/sparse-fields.js';
import { ADMIN_ORDER_FIELDS, ORDER_FIELDS, ORDER_STATUSES } from './order.dto.js';

export const listOrdersQuery = z
  .object({ limit: limitParam, cursor: createdAtIdCursor.optional(), fields: fieldsParam(ORDER_FIELDS).optional() })
  .strict();

export const orderQuery = z.object({ fields: fieldsParam(ORDER_FIELDS).optional() }).strict();

export const adminOrdersQuery = z
  .object({
    limit: limitParam,
    cursor: createdAtIdCursor.optional(),
    status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }).optional(),
    userId: positiveId.optional(),
    fields: fieldsParam(ADMIN_ORDER_FIELDS).optional(),
  })
  .strict();

export type OrderQuery = z.output<typeof orderQuery>;
export type ListOrdersQuery = z.output<typeof listOrdersQuery>;
export type AdminOrdersQuery = z.output<typeof adminOrdersQuery>;

const isoDate = z
  .string()
  .max(40)
  .refine((value) => isSqlDate(new Date(value)), 'must be an ISO 8601 date or date-time (years 1–9999)')
  .transform((value) => new Date(value));

/** `from` (inclusive) and `to` (exclusive); `to` defaults to now and `from` to 30 days before it. */
export const dateRangeQuery = z
  .object({ from: isoDate.optional(), to: isoDate.optional() })
  .strict()
  .transform(({ from, to }) => {
    const end = to ?? new Date();
    return { from: from ?? new Date(end.getTime() - 30 * 86_400_000), to: end };
  })
  .refine(({ from, to }) => from < to, { message: 'must be before to', path: ['from'] })
  .refine(({ from, to }) => to.getTime() - from.getTime() <= 366 * 86_400_000, {
    message: 'the range must be at most 366 days',
    path: ['from'],
  });

export const exportOrdersQuery = z
  .object({
    format: z.enum(['ndjson', 'csv'], { error: 'must be ndjson or csv' }).default('ndjson'),
    from: z.string().optional(),
    to: z.string().optional(),
  })
  .strict()
  .transform(({ format, from, to }, context) => {
    const range = dateRangeQuery.safeParse({ from, to });
    if (!range.success) {
      for (const issue of range.error.issues)
        context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return { format, ...range.data };
  });

export type ExportOrdersQuery = z.output<typeof exportOrdersQuery>;
