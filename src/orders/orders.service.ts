import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { ExportOrdersQuery } from './orders.schemas.js';
import type { AuthUser } from '../auth/auth-user.js';
import { NotFoundProblem } from '../common/http/index.js';
import { CpuPool } from '../cpu-pool/index.js';
import { createdAtIdCursorOf, type Page } from '../common/pagination/keyset-cursor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { toOrderFields, type AdminOrderDto, type OrderDto, type OrderRow } from './order.dto.js';
import { exportStream } from './orders-export.js';
import { OrdersRepository, type OrderPageQuery } from './orders.repository.js';

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly cpuPool: CpuPool,
  ) {}

  /** The caller's orders with items and products: one statement whatever the page size. */
  async listOwn(user: AuthUser, query: Omit<OrderPageQuery, 'userId' | 'status'>): Promise<Page<OrderDto>> {
    const rows = await this.orders.findPageWithItems({ ...query, userId: user.id, limit: query.limit + 1 });
    return this.pageOf(rows, query.limit, (order) => ({ ...toOrderFields(order), items: order.items }));
  }

  /** All orders (admin), with who placed each: orders, then one batch each of items, products and users. */
  async listAll(query: OrderPageQuery, loaders: RequestLoaders): Promise<Page<AdminOrderDto>> {
    const rows = await this.orders.findPage({ ...query, limit: query.limit + 1 });
    // All loads of one page start in the same tick: DataLoader makes one batch of each kind.
    const page = await Promise.all(
      rows.slice(0, query.limit).map(async (order) => ({
        ...(await this.withItems(order, loaders)),
        user: await loaders.users.load(order.userId),
      })),
    );
    return this.pageOf(rows, query.limit, (_order, index) => page[index]);
  }

  /** All orders in a date range as a stream (flat memory, stops when the client goes away). */
  export(query: ExportOrdersQuery): Readable {
    return exportStream(this.orders.exportBatches(query), this.cpuPool, query.format);
  }

  /** Another customer's order is a 404, not a 403: its existence is not the caller's business. */
  async get(user: AuthUser, id: number, loaders: RequestLoaders): Promise<OrderDto> {
    const order = await this.orders.findById(id);
    if (!order || (order.userId !== user.id && user.role !== 'admin'))
      throw new NotFoundProblem(`Order ${id} does not exist.`);
    return this.withItems(order, loaders);
  }

  /** `rows` holds one extra row when there is a next page. */
  private pageOf<R extends OrderRow, T>(rows: R[], limit: number, build: (order: R, index: number) => T): Page<T> {
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map(build),
      nextCursor: rows.length > limit && last ? createdAtIdCursorOf(last) : null,
    };
  }

  private async withItems(order: OrderRow, loaders: RequestLoaders): Promise<OrderDto> {
    const items = await loaders.itemsByOrder.load(order.id);
    return {
      ...toOrderFields(order),
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
