import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { ExportOrdersQuery } from './orders.schemas.js';
import type { AuthUser } from '../auth/auth-user.js';
import { NotFoundProblem } from '../common/http/index.js';
import { encodeCursor, type Page } from '../common/pagination/keyset-cursor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import type { AdminOrderDto, OrderDto, OrderRow } from './order.dto.js';
import { OrdersRepository, type OrderPageQuery } from './orders.repository.js';

@Injectable()
export class OrdersService {
  constructor(private readonly orders: OrdersRepository) {}

  /** The caller's orders: 3 statements whatever the page size (orders, their items, products not in the cache). */
  async listOwn(user: AuthUser, query: Omit<OrderPageQuery, 'userId' | 'status'>, loaders: RequestLoaders): Promise<Page<OrderDto>> {
    return this.page({ ...query, userId: user.id }, (order) => this.withItems(order, loaders));
  }

  async listAll(query: OrderPageQuery, loaders: RequestLoaders): Promise<Page<AdminOrderDto>> {
    return this.page(query, async (order) => ({ ...(await this.withItems(order, loaders)), user: await loaders.users.load(order.userId) }));
  }

  /** All orders in a date range as a stream (flat memory, stops when the client goes away). */
  export(query: ExportOrdersQuery): Readable {
    return this.orders.exportRange(query);
  }

  /** Another customer's order is a 404, not a 403: its existence is not the caller's business. */
  async get(user: AuthUser, id: number, loaders: RequestLoaders): Promise<OrderDto> {
    const order = await this.orders.findById(id);
    if (!order || (order.userId !== user.id && user.role !== 'admin')) throw new NotFoundProblem(`Order ${id} does not exist.`);
    return this.withItems(order, loaders);
  }

  private async page<T>(query: OrderPageQuery, build: (order: OrderRow) => Promise<T>): Promise<Page<T>> {
    const rows = await this.orders.findPage({ ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    // All loads of one page start in the same tick: DataLoader makes one batch of each kind.
    const data = await Promise.all(page.map(build));
    const last = page.at(-1);
    return { data, nextCursor: rows.length > query.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
  }

  private async withItems(order: OrderRow, loaders: RequestLoaders): Promise<OrderDto> {
    const items = await loaders.itemsByOrder.load(order.id);
    return {
      id: order.id,
      userId: order.userId,
      status: order.status,
      totalCents: order.totalCents,
      currency: order.currency,
      createdAt: order.createdAt.toISOString(),
      items: await Promise.all(
        items.map(async (item) => ({
          productId: item.productId,
          quantity: item.quantity,
          unitPriceCents: item.unitPriceCents,
          product: await loaders.products.load(item.productId),
        })),
      ),
    };
  }
}
