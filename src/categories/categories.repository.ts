import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { CategoryRow, CreateCategoryBody, UpdateCategoryBody } from './categories.schemas.js';

/**
 * Categories with their counts of active products, in one statement: `productCount` counts the
 * category's own products (what `GET /products?categoryId=` lists), `totalProductCount` adds every
 * descendant's. The counts group the partial index `products_active_category_created_idx` (active
 * products by category); the tree walk is over categories only (tens of rows). `UNION` (not `ALL`)
 * ends the walk even on a cycle, which the `categories_refuse_cycle` trigger forbids anyway.
 * `id`: that category alone (its subtree is still walked for the total).
 */
export function categoriesSql(id?: number): Prisma.Sql {
  const roots = id === undefined ? Prisma.empty : Prisma.sql`WHERE id = ${id}`;
  return Prisma.sql`
    WITH RECURSIVE own AS (
      SELECT category_id, count(*)::int AS n FROM products WHERE status = 'active' GROUP BY category_id
    ),
    subtree (root, id) AS (
      SELECT id, id FROM categories ${roots}
      UNION
      SELECT s.root, c.id FROM subtree s JOIN categories c ON c.parent_id = s.id
    ),
    totals AS (
      SELECT s.root, coalesce(sum(own.n), 0)::int AS n FROM subtree s LEFT JOIN own ON own.category_id = s.id
      GROUP BY s.root
    )
    SELECT c.id, c.name, c.slug, c.parent_id AS "parentId", coalesce(own.n, 0) AS "productCount",
           totals.n AS "totalProductCount"
    FROM totals JOIN categories c ON c.id = totals.root LEFT JOIN own ON own.category_id = c.id
    ORDER BY c.name, c.id`;
}

/** The only code that reads or writes categories. Write errors are Postgres's (see `CategoriesService`). */
@Injectable()
export class CategoriesRepository {
  constructor(private readonly db: Db) {}

  list(): Promise<CategoryRow[]> {
    return this.db.reader().$queryRaw<CategoryRow[]>(categoriesSql());
  }

  /** `fresh`: from the primary (refresh-after-write). */
  async find(id: number, { fresh = false } = {}): Promise<CategoryRow | null> {
    const client = fresh ? this.db.primary : this.db.reader();
    const [row] = await client.$queryRaw<CategoryRow[]>(categoriesSql(id));
    return row ?? null;
  }

  /** Whether the category exists: a primary-key lookup. */
  async exists(id: number): Promise<boolean> {
    const rows = await this.db.reader().$queryRaw<unknown[]>`SELECT 1 FROM categories WHERE id = ${id}`;
    return rows.length > 0;
  }

  /** The new id. The parent's existence is the foreign key's to check (no read first, no race). */
  async create({ name, slug, parentId }: CreateCategoryBody): Promise<number> {
    const [row] = await this.db.primary.$queryRaw<{ id: number }[]>`
      INSERT INTO categories (name, slug, parent_id) VALUES (${name}, ${slug}, ${parentId}::int) RETURNING id`;
    return row.id;
  }

  /**
   * Renames and/or moves, in one statement; `false` when there is no such category. A move that would
   * close a loop is refused by the `categories_refuse_cycle` trigger (SQLSTATE 23514).
   */
  async update(id: number, change: UpdateCategoryBody): Promise<boolean> {
    const sets: Prisma.Sql[] = [];
    if (change.name !== undefined) sets.push(Prisma.sql`name = ${change.name}`);
    if (change.slug !== undefined) sets.push(Prisma.sql`slug = ${change.slug}`);
    if (change.parentId !== undefined) sets.push(Prisma.sql`parent_id = ${change.parentId}::int`);
    const rows = await this.db.primary.$queryRaw<unknown[]>`
      UPDATE categories SET ${Prisma.join(sets, ', ')} WHERE id = ${id} RETURNING id`;
    return rows.length > 0;
  }
}
