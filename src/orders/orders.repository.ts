import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Readable } from 'node:stream';
import type { OrderRow } from './order.dto.js';
import { exportOrders } from './orders-export.js';

export interface OrderPageQuery {
  limit: number;
  cursor?: { createdAt: Date; id: number };
  userId?: number;
  status?: OrderRow['status'];
}

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
    SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents", currency, created_at AS "createdAt"
    FROM orders WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
}

@Injectable()
export class OrdersRepository {
  constructor(private readonly db: Db) {}

  findPage(query: OrderPageQuery): Promise<OrderRow[]> {
    return this.db.reader().$queryRaw<OrderRow[]>(orderPageSql(query));
  }

  exportRange(range: { from: Date; to: Date; format: 'ndjson' | 'csv' }): Readable {
    return exportOrders(this.db, range);
  }

  async findById(id: number): Promise<OrderRow | null> {
    const [row] = await this.db.reader().$queryRaw<OrderRow[]>`
      SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents", currency, created_at AS "createdAt"
      FROM orders WHERE id = ${id}`;
    return row ?? null;
  }
}
