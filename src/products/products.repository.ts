import { Injectable } from '@nestjs/common';
import { Db, isoTimestamp } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { ProductDetailRow, ProductRow, ProductSummary } from './product.dto.js';
import type { CreateProductBody, UpdateProductBody } from './products.schemas.js';

const PRODUCT_COLUMNS = Prisma.sql`
  p.id, p.sku, p.name, p.description, p.price_cents AS "priceCents", p.currency, p.stock, p.status::text AS status,
  p.category_id AS "categoryId", ${isoTimestamp(Prisma.sql`p.created_at`)} AS "createdAt",
  ${isoTimestamp(Prisma.sql`p.updated_at`)} AS "updatedAt"`;

export type ProductSort = 'newest' | 'price_asc' | 'price_desc';

export interface ProductListQuery {
  sort: ProductSort;
  limit: number;
  /** The last row's sort key: `createdAt` (newest) or `priceCents`, and its id. */
  after?: { value: Date | number; id: number };
  categoryId?: number;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
}

const ORDER: Record<ProductSort, { column: Prisma.Sql; direction: Prisma.Sql; comparison: Prisma.Sql }> = {
  newest: { column: Prisma.sql`p.created_at`, direction: Prisma.sql`DESC`, comparison: Prisma.sql`<` },
  price_asc: { column: Prisma.sql`p.price_cents`, direction: Prisma.sql`ASC`, comparison: Prisma.sql`>` },
  price_desc: { column: Prisma.sql`p.price_cents`, direction: Prisma.sql`DESC`, comparison: Prisma.sql`<` },
};

/**
 * Active products for a list page. Every filter and sort has a partial index (see the migrations);
 * the keyset condition is a row comparison `(key, id) < (…)`, which Postgres turns into an index
 * seek rather than a filter from the top, so page 10,000 costs what page 1 costs.
 */
export function productListSql(query: ProductListQuery): Prisma.Sql {
  const order = ORDER[query.sort];
  const conditions = [Prisma.sql`p.status = 'active'`];
  if (query.categoryId !== undefined) conditions.push(Prisma.sql`p.category_id = ${query.categoryId}`);
  if (query.minPrice !== undefined) conditions.push(Prisma.sql`p.price_cents >= ${query.minPrice}`);
  if (query.maxPrice !== undefined) conditions.push(Prisma.sql`p.price_cents <= ${query.maxPrice}`);
  if (query.inStock) conditions.push(Prisma.sql`p.stock > 0`);
  if (query.after)
    conditions.push(Prisma.sql`(${order.column}, p.id) ${order.comparison} (${query.after.value}, ${query.after.id})`);
  return Prisma.sql`
    SELECT ${PRODUCT_COLUMNS} FROM products p
    WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY ${order.column} ${order.direction}, p.id ${order.direction}
    LIMIT ${query.limit}`;
}

/** Products with their category, rating aggregate and 5 latest reviews, in one statement. */
export function productDetailsSql(ids: number[]): Prisma.Sql {
  return Prisma.sql`
    SELECT ${PRODUCT_COLUMNS}, c.name AS "categoryName", c.slug AS "categorySlug",
           r.average AS "ratingAverage", r.count AS "ratingCount", lr.reviews AS "latestReviews"
    FROM products p
    JOIN categories c ON c.id = p.category_id
    CROSS JOIN LATERAL (SELECT avg(rating)::float8 AS average, count(*)::int AS count FROM reviews WHERE product_id = p.id) r
    CROSS JOIN LATERAL (
      SELECT json_agg(x) AS reviews FROM (
        SELECT id, rating, comment, ${isoTimestamp(Prisma.sql`created_at`)} AS "createdAt"
        FROM reviews WHERE product_id = p.id ORDER BY created_at DESC, id DESC LIMIT 5
      ) x
    ) lr
    WHERE p.id = ANY(${ids}::int[])`;
}

export interface SearchHit extends ProductRow {
  score: number;
  highlight: string;
}

/** What a search hit owes to ranking alone (no stock): cacheable until the catalog is edited. */
export type SearchRank = Pick<SearchHit, 'id' | 'score' | 'highlight'>;

/**
 * Full-text matches first (weighted: name A, description B; `websearch_to_tsquery` accepts any user
 * input), ranked by `ts_rank` + trigram word similarity of the name; then, only when those do not
 * fill the page, typo matches — names trigram-similar to the query that full text missed — so
 * "hammmer" still finds hammers. Both are GIN-indexed. The typo tier is skipped for a common word
 * (its one-time filter): rechecking `%>` on every match of such a word was most of its cost
 * (~300 → ~50 ms of replica CPU for a word in 8 % of the catalog). Scores fall across the tiers
 * (full text ≥ 1 > typo). `ts_headline`, also costly, runs for the returned page only.
 */
export function searchSql(q: string, limit: number, offset: number): Prisma.Sql {
  const wanted = limit + offset;
  return Prisma.sql`
    WITH query AS (SELECT websearch_to_tsquery('english', ${q}) AS tsq),
    full_text AS (
      SELECT p.id, 1 + ts_rank(p.search_vector, query.tsq) + word_similarity(${q}, p.name) AS score
      FROM products p, query
      WHERE p.status = 'active' AND p.search_vector @@ query.tsq
      ORDER BY score DESC, p.id
      LIMIT ${wanted}
    ),
    typos AS (
      SELECT p.id, least(word_similarity(${q}, p.name), 0.999) AS score
      FROM products p, query
      WHERE (SELECT count(*) FROM full_text) < ${wanted}
        AND p.status = 'active' AND p.name %> ${q} AND NOT p.search_vector @@ query.tsq
      ORDER BY score DESC, p.id
      LIMIT ${wanted}
    ),
    hits AS (
      SELECT id, score FROM full_text UNION ALL SELECT id, score FROM typos
      ORDER BY score DESC, id
      LIMIT ${limit} OFFSET ${offset}
    )
    SELECT ${PRODUCT_COLUMNS}, hits.score::float8 AS score,
           ts_headline('english', p.name || ' — ' || p.description, query.tsq,
                       'StartSel=<mark>, StopSel=</mark>, MaxWords=24, MinWords=8, MaxFragments=1') AS highlight
    FROM hits JOIN products p ON p.id = hits.id, query
    ORDER BY hits.score DESC, p.id`;
}

/** The only code that reads or writes products (but checkout's placing statement, which takes stock). */
@Injectable()
export class ProductsRepository {
  constructor(private readonly db: Db) {}

  /** `fresh`: from the primary, for refresh-after-write outside a request that wrote. */
  async findDetail(id: number, { fresh = false } = {}): Promise<ProductDetailRow | null> {
    const client = fresh ? this.db.primary : this.db.reader();
    const [row] = await client.$queryRaw<ProductDetailRow[]>(productDetailsSql([id]));
    return row ?? null;
  }

  findPage(query: ProductListQuery): Promise<ProductRow[]> {
    return this.db.reader().$queryRaw<ProductRow[]>(productListSql(query));
  }

  search(q: string, limit: number, offset: number): Promise<SearchHit[]> {
    return this.db.reader().$queryRaw<SearchHit[]>(searchSql(q, limit, offset));
  }

  /** Active products by id (those that exist), in no particular order: a primary-key lookup. */
  findRows(ids: readonly number[]): Promise<ProductRow[]> {
    return this.db.reader().$queryRaw<ProductRow[]>`
      SELECT ${PRODUCT_COLUMNS} FROM products p WHERE p.id = ANY(${[...ids]}::int[]) AND p.status = 'active'`;
  }

  /** Active product ids by units ordered, most first (never-ordered ones last, by id). */
  async findMostOrderedIds(limit: number): Promise<number[]> {
    const rows = await this.db.reader().$queryRaw<{ id: number }[]>`
      SELECT p.id FROM products p
      LEFT JOIN (SELECT product_id, sum(quantity) AS units FROM order_items GROUP BY product_id) o ON o.product_id = p.id
      WHERE p.status = 'active' ORDER BY o.units DESC NULLS LAST, p.id LIMIT ${limit}`;
    return rows.map((row) => row.id);
  }

  /** Details of these products (those that exist), in no particular order. */
  findDetails(ids: number[]): Promise<ProductDetailRow[]> {
    return this.db.reader().$queryRaw<ProductDetailRow[]>(productDetailsSql(ids));
  }

  /** Summaries of these products (those that exist), from a replica. */
  findSummaries(ids: readonly number[]): Promise<ProductSummary[]> {
    return this.db.reader().$queryRaw<ProductSummary[]>`
      SELECT id, sku, name, price_cents AS "priceCents", currency FROM products WHERE id = ANY(${[...ids]}::int[])`;
  }

  /** Whether the product exists (archived ones too: their reviews stay readable). */
  async exists(id: number): Promise<boolean> {
    const product = await this.db.reader().product.findUnique({ where: { id }, select: { id: true } });
    return product !== null;
  }

  async create(data: CreateProductBody): Promise<number> {
    const { id } = await this.db.primary.product.create({ data, select: { id: true } });
    return id;
  }

  /** `false` when there is no such product. */
  async update(id: number, change: UpdateProductBody): Promise<boolean> {
    const { count } = await this.db.primary.product.updateMany({ where: { id }, data: change });
    return count > 0;
  }
}
