import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { ExportOrdersQuery } from './orders.schemas.js';
import type { AuthUser } from '../auth/auth-user.js';
import { NotFoundProblem } from '../common/http/index.js';
import { pickFields, wants } from '../common/http/sparse-fields.js';
import { createdAtIdCursorOf, toPage, type Page } from '../common/pagination/keyset-cursor.js';
import { AppConfig } from '../config/index.js';
import { CpuPool } from '../cpu-pool/index.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { toOrderFields, toOrderItemDto, type AdminOrderDto, type OrderDto, type OrderRow } from './order.dto.js';
import { exportStream, type ExportEncoding } from './orders-export.js';
import { OrdersRepository, type OrderPageQuery } from './orders.repository.js';

/** A page request with its `?fields=` view (validated against the route's whitelist). */
type Fields = { fields?: readonly string[] };

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly cpuPool: CpuPool,
    private readonly config: AppConfig,
  ) {}

  /**
   * The caller's orders with items and products: one statement whatever the page size; without
   * `items` in `fields`, the orders alone (no LATERAL join).
   */
  async listOwn(
    user: AuthUser,
    { fields, ...query }: Omit<OrderPageQuery, 'userId' | 'status'> & Fields,
  ): Promise<Page<Partial<OrderDto>>> {
    const page = { ...query, userId: user.id, limit: query.limit + 1 };
    if (!wants(fields, 'items'))
      return this.pageOf(await this.orders.findPage(page), query.limit, (order) =>
        pickFields(toOrderFields(order), fields),
      );
    const rows = await this.orders.findPageWithItems(page);
    return this.pageOf(rows, query.limit, (order) =>
      pickFields({ ...toOrderFields(order), items: order.items }, fields),
    );
  }

  /**
   * All orders (admin), with who placed each: orders, then one batch each of items, products and
   * users — the batches `fields` leaves out are not loaded.
   */
  async listAll(
    { fields, ...query }: OrderPageQuery & Fields,
    loaders: RequestLoaders,
  ): Promise<Page<Partial<AdminOrderDto>>> {
    const rows = await this.orders.findPage({ ...query, limit: query.limit + 1 });
    // All loads of one page start in the same tick: DataLoader makes one batch of each kind.
    const page = await Promise.all(
      rows.slice(0, query.limit).map(async (order) => {
        const base = wants(fields, 'items') ? await this.withItems(order, loaders) : toOrderFields(order);
        // An account that is gone leaves `user` out (lean payloads: no null).
        const user = wants(fields, 'user') ? await loaders.users.load(order.userId) : null;
        return pickFields<Partial<AdminOrderDto>>(user ? { ...base, user } : base, fields);
      }),
    );
    return this.pageOf(rows, query.limit, (_order, index) => page[index]);
  }

  /**
   * All orders in a date range as a byte stream in `encoding`, read, formatted and encoded on a
   * pool thread (flat memory, stops when the client goes away).
   */
  export({ from, to, format }: ExportOrdersQuery, encoding: ExportEncoding): Readable {
    return exportStream(this.cpuPool, {
      ...this.orders.exportSource(),
      range: { from, to },
      format,
      encoding,
      rowsPerSecond: this.config.EXPORT_ROWS_PER_SECOND,
    });
  }

  /** Another customer's order is a 404, not a 403: its existence is not the caller's business. */
  async get(
    user: AuthUser,
    id: number,
    loaders: RequestLoaders,
    fields?: readonly string[],
  ): Promise<Partial<OrderDto>> {
    const order = await this.orders.findById(id);
    if (!order || (order.userId !== user.id && user.role !== 'admin'))
      throw new NotFoundProblem(`Order ${id} does not exist.`);
    return pickFields(wants(fields, 'items') ? await this.withItems(order, loaders) : toOrderFields(order), fields);
  }

  /** `rows` holds one extra row when there is a next page. */
  private pageOf<R extends OrderRow, T>(rows: R[], limit: number, build: (order: R, index: number) => T): Page<T> {
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return toPage(page.map(build), rows.length > limit && last ? createdAtIdCursorOf(last) : undefined);
  }

  private async withItems(order: OrderRow, loaders: RequestLoaders): Promise<OrderDto> {
    const items = await loaders.itemsByOrder.load(order.id);
    return {
      ...toOrderFields(order),
      items: await Promise.all(
        items.map(async (item) => toOrderItemDto(item, await loaders.products.load(item.productId))),
      ),
    };
  }
}
