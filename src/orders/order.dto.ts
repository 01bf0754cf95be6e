import { z } from 'zod';
import { withoutEmpty } from '../common/http/without-empty.js';
import { int32, isoDateTime, pageOf, responseContract } from '../common/openapi/contract.js';
import { productSummarySchema } from '../products/product.dto.js';
import { userSummarySchema } from '../users/user.dto.js';

export const ORDER_STATUSES = [
  'pending',
  'payment_pending',
  'paid',
  'payment_failed',
  'cancelled',
  'shipped',
  'delivered',
  'refunded',
] as const;

export type OrderStatusName = (typeof ORDER_STATUSES)[number];

export const orderItemSchema = z.object({
  productId: int32,
  quantity: int32,
  unitPriceCents: int32,
  product: productSummarySchema.optional().describe('Absent if the product is gone'),
});

export const orderSchema = responseContract(
  'Order',
  z.object({
    id: int32,
    userId: int32,
    status: z.enum(ORDER_STATUSES),
    totalCents: int32,
    refundedCents: int32.describe('What refunds took back so far (0 until a refund)'),
    currency: z.string(),
    trackingReference: z.string().optional().describe('The carrier reference, once shipped'),
    createdAt: isoDateTime,
    items: z.array(orderItemSchema),
  }),
);

/** Admin view: the order with who placed it. */
export const adminOrderSchema = responseContract(
  'AdminOrder',
  orderSchema.extend({ user: userSummarySchema.optional().describe('Absent if the account is gone') }),
);

export const orderPageSchema = pageOf('OrderPage', orderSchema);
export const adminOrderPageSchema = pageOf('AdminOrderPage', adminOrderSchema);

export type OrderItemDto = z.infer<typeof orderItemSchema>;

/** The fields `?fields=` may name on orders (`GET /orders`, `/orders/:id`); admins' lists add `user`. */
export const ORDER_FIELDS = [
  'id',
  'userId',
  'status',
  'totalCents',
  'refundedCents',
  'currency',
  'trackingReference',
  'createdAt',
  'items',
] as const;
export const ADMIN_ORDER_FIELDS = [...ORDER_FIELDS, 'user'] as const;
export type OrderDto = z.infer<typeof orderSchema>;
export type AdminOrderDto = z.infer<typeof adminOrderSchema>;

export interface OrderRow {
  id: number;
  userId: number;
  status: OrderDto['status'];
  totalCents: number;
  refundedCents: number;
  currency: string;
  trackingReference: string | null;
  /** ISO 8601, formatted by the query (`isoTimestamp`). */
  createdAt: string;
}

/** An order row as clients see it, without its items. Built field by field: internal columns never leak. */
export function toOrderFields(order: OrderRow): Omit<OrderDto, 'items'> {
  return withoutEmpty<Omit<OrderDto, 'items'>>({
    id: order.id,
    userId: order.userId,
    status: order.status,
    totalCents: order.totalCents,
    refundedCents: order.refundedCents,
    currency: order.currency,
    trackingReference: order.trackingReference,
    createdAt: order.createdAt,
  });
}

/** An order's line as clients see it: `product` omitted when it is gone. */
export function toOrderItemDto(
  item: OrderItemRow | OrderItemDto,
  product: OrderItemDto['product'] | null,
): OrderItemDto {
  return withoutEmpty<OrderItemDto>({
    productId: item.productId,
    quantity: item.quantity,
    unitPriceCents: item.unitPriceCents,
    product,
  });
}

/** An order's line as stored. */
export interface OrderItemRow {
  id: number;
  orderId: number;
  productId: number;
  quantity: number;
  unitPriceCents: number;
}
