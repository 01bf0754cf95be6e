import DataLoader from 'dataloader';
import type { CacheService } from '../cache/index.js';
import type { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { ProductSummary } from '../products/product.dto.js';
import type { UserSummary } from '../users/user.dto.js';

export interface OrderItemRow {
  id: number;
  orderId: number;
  productId: number;
  quantity: number;
  unitPriceCents: number;
}

/** Summaries change rarely and are small: long enough in the cache to make MGET hits the norm. */
const SUMMARY_TTL_MS = 5 * 60_000;
export const PRODUCT_SUMMARIES = 'product-summaries';
export const USER_SUMMARIES = 'user-summaries';

/**
 * The DataLoaders of one request: every `load` made in one tick becomes one batch. Products and
 * users are looked up in the cache first (one MGET), then the misses in one query through the
 * replica router; order items come in one query per batch of orders.
 */
export class RequestLoaders {
  readonly products: DataLoader<number, ProductSummary | null>;
  readonly users: DataLoader<number, UserSummary | null>;
  readonly itemsByOrder: DataLoader<number, OrderItemRow[]>;

  constructor(db: Db, cache: CacheService) {
    this.products = new DataLoader(async (ids) => {
      const keys = ids.map((id) => ({ namespace: PRODUCT_SUMMARIES, id }));
      return cache.getMany<ProductSummary>(
        keys,
        async (missing) => {
          const rows = await db.reader().$queryRaw<ProductSummary[]>`
            SELECT id, sku, name, price_cents AS "priceCents", currency FROM products WHERE id = ANY(${missing.map((key) => key.id)}::int[])`;
          return new Map(rows.map((row) => [row.id, row]));
        },
        { ttlMs: SUMMARY_TTL_MS },
      );
    });
    this.users = new DataLoader(async (ids) => {
      const keys = ids.map((id) => ({ namespace: USER_SUMMARIES, id }));
      return cache.getMany<UserSummary>(
        keys,
        async (missing) => {
          const rows = await db.reader().$queryRaw<
            UserSummary[]
          >`SELECT id, name FROM users WHERE id = ANY(${missing.map((key) => key.id)}::int[])`;
          return new Map(rows.map((row) => [row.id, row]));
        },
        { ttlMs: SUMMARY_TTL_MS },
      );
    });
    this.itemsByOrder = new DataLoader(async (orderIds) => {
      const rows = await db.reader().$queryRaw<OrderItemRow[]>(Prisma.sql`
        SELECT id, order_id AS "orderId", product_id AS "productId", quantity, unit_price_cents AS "unitPriceCents"
        FROM order_items WHERE order_id = ANY(${[...orderIds]}::int[]) ORDER BY order_id, id`);
      const byOrder = new Map<number, OrderItemRow[]>(orderIds.map((id) => [id, []]));
      for (const row of rows) byOrder.get(row.orderId)!.push(row);
      return orderIds.map((id) => byOrder.get(id)!);
    });
  }
}
