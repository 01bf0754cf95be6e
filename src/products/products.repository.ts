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

/** The only code that reads products from the database. */
@Injectable()
export class ProductsRepository {
  constructor(private readonly db: Db) {}

  findById(id: number): Promise<ProductRow | null> {
    return this.db.reader().product.findUnique({
      where: { id },
      select: {
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
      },
    });
  }

  findNewest(limit: number, cursor?: { createdAt: Date; id: number }): Promise<ProductRow[]> {
    return this.db.reader().$queryRaw<ProductRow[]>(newestProductsSql(limit, cursor));
  }
}
