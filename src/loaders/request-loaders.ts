import DataLoader from 'dataloader';
import type { OrderItemRow } from '../orders/order.dto.js';
import type { OrdersRepository } from '../orders/orders.repository.js';
import type { ProductSummary } from '../products/product.dto.js';
import type { ProductsCache } from '../products/products.cache.js';
import type { UserSummary } from '../users/user.dto.js';
import type { UsersCache } from '../users/users.cache.js';

/**
 * The DataLoaders of one request: every `load` made in one tick becomes one batch. Products and
 * users come from their domains' caches (one MGET, then one query for the misses through the
 * replica router); order items in one query per batch of orders.
 */
export class RequestLoaders {
  readonly products: DataLoader<number, ProductSummary | null>;
  readonly users: DataLoader<number, UserSummary | null>;
  readonly itemsByOrder: DataLoader<number, OrderItemRow[]>;

  constructor(products: ProductsCache, users: UsersCache, orders: OrdersRepository) {
    this.products = new DataLoader((ids) => products.summaries(ids));
    this.users = new DataLoader((ids) => users.summaries(ids));
    this.itemsByOrder = new DataLoader(async (orderIds) => {
      const rows = await orders.findItems(orderIds);
      const byOrder = new Map<number, OrderItemRow[]>(orderIds.map((id) => [id, []]));
      for (const row of rows) byOrder.get(row.orderId)!.push(row);
      return orderIds.map((id) => byOrder.get(id)!);
    });
  }
}
