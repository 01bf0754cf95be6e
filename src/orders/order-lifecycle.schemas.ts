import { z } from 'zod';
import { MAX_INT, STORABLE_TEXT, isStorableText } from '../common/http/query-params.js';
import { int32, requestContract, responseContract } from '../common/openapi/contract.js';
import { ORDER_STATUSES } from './order.dto.js';

export const shipOrderBody = requestContract(
  'ShipOrderRequest',
  z
    .object({
      trackingReference: z
        .string({ error: 'is required' })
        .trim()
        .min(1, 'must not be empty')
        .max(100, 'must be at most 100 characters')
        .refine(isStorableText, STORABLE_TEXT),
    })
    .strict(),
);

export const refundOrderBody = requestContract(
  'RefundOrderRequest',
  z
    .object({
      amountCents: z
        .number({ error: 'must be a number' })
        .int('must be an integer')
        .min(1, 'must be at least 1')
        .max(MAX_INT, `must be at most ${MAX_INT}`)
        .optional()
        .describe('What to refund; absent: all that was charged and not yet refunded'),
    })
    .strict(),
);

export type ShipOrderBody = z.output<typeof shipOrderBody>;
export type RefundOrderBody = z.output<typeof refundOrderBody>;

/** An order's lifecycle state after a transition. */
export const orderStateSchema = responseContract(
  'OrderState',
  z.object({
    id: int32,
    userId: int32,
    status: z.enum(ORDER_STATUSES),
    totalCents: int32,
    refundedCents: int32.describe('What refunds took back so far (asked of the provider by the worker)'),
    currency: z.string(),
    trackingReference: z.string().optional().describe('Set when the order shipped'),
    refund: z
      .object({
        seq: int32.describe('The refund number n of this order (provider key `refund-<orderId>-<n>`)'),
        amountCents: int32,
      })
      .optional()
      .describe('The refund this transition started (paid order cancelled, admin refund)'),
  }),
);

export type OrderStateDto = z.infer<typeof orderStateSchema>;
