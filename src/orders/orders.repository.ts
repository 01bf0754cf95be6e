import { Injectable } from '@nestjs/common';
import { Db, isoTimestamp } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { OrderDto, OrderItemRow, OrderRow } from './order.dto.js';
import type { ExportStreamOptions } from './orders-export.js';

export interface OrderPageQuery {
  limit: number;
  cursor?: { createdAt: Date; id: number };
  userId?: number;
  status?: OrderRow['status'];
}

const ORDER_CREATED_AT = isoTimestamp(Prisma.sql`created_at`);

/**
 * A page of orders, newest first. With `userId`, `orders_user_created_idx` (covering) serves it;
 * with `status`, `orders_status_created_idx`.
 */
export function orderPageSql({ limit, cursor, userId, status }: OrderPageQuery): Prisma.Sql {
  const conditions = [Prisma.sql`TRUE`];
  if (userId !== undefined) conditions.push(Prisma.sql`user_id = ${userId}`);
  if (status !== undefined) conditions.push(Prisma.sql`status = ${status}::"OrderStatus"`);
  if (cursor) conditions.push(Prisma.sql`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`);
  return Prisma.sql`
    SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents",
           refunded_cents AS "refundedCents", currency, tracking_reference AS "trackingReference",
           ${ORDER_CREATED_AT} AS "createdAt"
    FROM orders WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
}

export type OrderWithItemsRow = OrderRow & { items: OrderDto['items'] };

/**
 * A page of orders with their items and product summaries in one statement (LATERAL + json_agg).
 * Measured against DataLoaders (bench/orders.bench.ts): as fast as a warm product cache, 2–5×
 * faster than a cold one, with a tighter p95, and always current product names.
 */
export function orderPageWithItemsSql(query: OrderPageQuery): Prisma.Sql {
  return Prisma.sql`
    SELECT o.*, coalesce(items.list, '[]'::json) AS items
    FROM (${orderPageSql(query)}) o
    CROSS JOIN LATERAL (
      SELECT json_agg(json_build_object(
               'productId', oi.product_id, 'quantity', oi.quantity, 'unitPriceCents', oi.unit_price_cents,
               'product', json_build_object('id', p.id, 'sku', p.sku, 'name', p.name, 'priceCents', p.price_cents, 'currency', p.currency)
             ) ORDER BY oi.id) AS list
      FROM order_items oi JOIN products p ON p.id = oi.product_id
      WHERE oi.order_id = o.id
    ) items
    ORDER BY o."createdAt" DESC, o.id DESC`;
}

@Injectable()
export class OrdersRepository {
  constructor(private readonly db: Db) {}

  findPageWithItems(query: OrderPageQuery): Promise<OrderWithItemsRow[]> {
    return this.db.reader().$queryRaw<OrderWithItemsRow[]>(orderPageWithItemsSql(query));
  }

  /** The items of these orders, by order then id. */
  findItems(orderIds: readonly number[]): Promise<OrderItemRow[]> {
    return this.db.reader().$queryRaw<OrderItemRow[]>`
      SELECT id, order_id AS "orderId", product_id AS "productId", quantity, unit_price_cents AS "unitPriceCents"
      FROM order_items WHERE order_id = ANY(${[...orderIds]}::int[]) ORDER BY order_id, id`;
  }

  findPage(query: OrderPageQuery): Promise<OrderRow[]> {
    return this.db.reader().$queryRaw<OrderRow[]>(orderPageSql(query));
  }

  /**
   * Where an export reads (its SQL is `orderBatches`, run on a pool thread's own connection): the
   * server the replica router picks now; its statements count in that pool's statistics.
   */
  exportSource(): Pick<ExportStreamOptions, 'connection' | 'onStatement'> {
    const { pool, session } = this.db.readerEndpoint();
    return {
      connection: session,
      onStatement: ({ durationMs, failed }) =>
        this.db.stats.recordStatement(pool, {
          sql: 'SELECT',
          durationMs,
          error: failed ? new Error('export statement failed') : undefined,
          inTransaction: false,
        }),
    };
  }

  async findById(id: number): Promise<OrderRow | null> {
    const [row] = await this.db.reader().$queryRaw<OrderRow[]>`
      SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents",
             refunded_cents AS "refundedCents", currency, tracking_reference AS "trackingReference",
             ${ORDER_CREATED_AT} AS "createdAt"
      FROM orders WHERE id = ${id}`;
    return row ?? null;
  }
}
