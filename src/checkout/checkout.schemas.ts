import { z } from 'zod';
import { MAX_INT, STORABLE_TEXT, isStorableText } from '../common/http/query-params.js';
import { MAX_ITEM_QUANTITY, MAX_ORDER_ITEMS, formatLimit } from '../common/money.js';
import { int32, problemSchema, requestContract, responseContract } from '../common/openapi/contract.js';

export const checkoutBody = requestContract(
  'CheckoutRequest',
  z
    .object({
      items: z
        .array(
          z
            .object({
              productId: z
                .number({ error: 'must be a number' })
                .int('must be an integer')
                .min(1, 'must be a product id')
                .max(MAX_INT, 'must be a product id'),
              quantity: z
                .number({ error: 'must be a number' })
                .int('must be an integer')
                .min(1, 'must be at least 1')
                // Also order_items_quantity_max_check.
                .max(MAX_ITEM_QUANTITY, `must be at most ${formatLimit(MAX_ITEM_QUANTITY)}`),
            })
            .strict(),
          { error: 'must be a list of { productId, quantity }' },
        )
        .min(1, 'must hold at least one item')
        .max(MAX_ORDER_ITEMS, `must hold at most ${MAX_ORDER_ITEMS} items`)
        .refine(
          (items) => new Set(items.map((item) => item.productId)).size === items.length,
          'must not name a product twice',
        ),
      paymentToken: z
        .string({ error: 'is required' })
        .min(1, 'must not be empty')
        .max(200, 'must be at most 200 characters')
        // It is kept in the outbox event's jsonb payload, which refuses NUL and lone surrogates.
        .refine(isStorableText, STORABLE_TEXT),
    })
    .strict(),
);

/** Like Stripe's: up to 255 characters, and nothing that needs escaping. */
export const idempotencyKeyHeader = z
  .string({ error: 'the Idempotency-Key header is required' })
  .min(1, 'the Idempotency-Key header is required')
  .max(255, 'must be at most 255 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may hold only letters, digits, and _ . : -');

export type CheckoutBody = z.output<typeof checkoutBody>;

/** The answer to a checkout: 201 charged, 202 payment pending; replayed as is for the same key. */
export const checkoutResultSchema = responseContract(
  'CheckoutResult',
  z.object({
    orderId: int32,
    status: z.enum(['paid', 'payment_pending']),
    totalCents: int32,
    currency: z.string(),
  }),
);

/** 402: the problem, with the order it cancelled. */
export const paymentDeclinedSchema = responseContract(
  'PaymentDeclined',
  problemSchema.extend({ order: checkoutResultSchema.extend({ status: z.literal('payment_failed') }) }),
);

export type CheckoutResultDto = z.infer<typeof checkoutResultSchema>;
