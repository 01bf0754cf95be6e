import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { ProductRow } from './product.dto.js';

const PRODUCT_COLUMNS = Prisma.sql`
  id, sku, name, description, price_cents AS "priceCents", currency, stock, status::text AS status,
  category_id AS "categoryId", created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * Newest active products, after `cursor` if given. The row comparison `(created_at, id) < (…)` is
 * what lets Postgres seek in `products_active_created_idx` instead of filtering from the top.
 */
export function newestProductsSql(limit: number, cursor?: { createdAt: Date; id: number }): Prisma.Sql {
  const after = cursor ? Prisma.sql`AND (created_at, id) < (${cursor.createdAt}, ${cursor.id})` : Prisma.empty;
  return Prisma.sql`
    SELECT ${PRODUCT_COLUMNS} FROM products
    WHERE status = 'active' ${after}
    ORDER BY created_at DESC, id DESC
    LIMIT ${limit}`;
}

export type ProductChange = Partial<Pick<ProductRow, 'name' | 'description' | 'priceCents' | 'stock' | 'status'>>;

const PRODUCT_SELECT = {
  id: true,
  sku: true,
  name: true,
  description: true,
  priceCents: true,
  currency: true,
  stock: true,
  status: true,
  categoryId: true,
  createdAt: true,
  updatedAt: true,
} as const;

/** The only code that reads or writes products. */
@Injectable()
export class ProductsRepository {
  constructor(private readonly db: Db) {}

  findById(id: number): Promise<ProductRow | null> {
    return this.db.reader().product.findUnique({ where: { id }, select: PRODUCT_SELECT });
  }

  /** Active products by units ordered, most first. */
  findMostOrdered(limit: number): Promise<ProductRow[]> {
    return this.db.reader().$queryRaw<ProductRow[]>`
      SELECT ${PRODUCT_COLUMNS} FROM products
      WHERE status = 'active' AND id IN (
        SELECT product_id FROM order_items GROUP BY product_id ORDER BY sum(quantity) DESC LIMIT ${limit})`;
  }

  /** `null` when there is no such product. */
  async update(id: number, change: ProductChange): Promise<ProductRow | null> {
    try {
      return await this.db.primary.product.update({ where: { id }, data: change, select: PRODUCT_SELECT });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2025') return null; // no such row
      throw error;
    }
  }

  findNewest(limit: number, cursor?: { createdAt: Date; id: number }): Promise<ProductRow[]> {
    return this.db.reader().$queryRaw<ProductRow[]>(newestProductsSql(limit, cursor));
  }
}
