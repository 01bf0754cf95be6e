import type { OrderStatus } from '../generated/prisma/client.js';
import type { ProductSummary } from '../products/product.dto.js';
import type { UserSummary } from '../users/users.repository.js';

export interface OrderItemDto {
  productId: number;
  quantity: number;
  unitPriceCents: number;
  product: ProductSummary | null;
}

export interface OrderDto {
  id: number;
  userId: number;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  createdAt: string;
  items: OrderItemDto[];
}

/** Admin view: the order with who placed it. */
export interface AdminOrderDto extends OrderDto {
  user: UserSummary | null;
}

export interface OrderRow {
  id: number;
  userId: number;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  /** ISO 8601, formatted by the query (`isoTimestamp`). */
  createdAt: string;
}

/** An order row as clients see it, without its items. Built field by field: internal columns never leak. */
export function toOrderFields(order: OrderRow): Omit<OrderDto, 'items'> {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    totalCents: order.totalCents,
    currency: order.currency,
    createdAt: order.createdAt,
  };
}

/** An order's line as stored. */
export interface OrderItemRow {
  id: number;
  orderId: number;
  productId: number;
  quantity: number;
  unitPriceCents: number;
}
