import { Injectable } from '@nestjs/common';
import { CacheService } from '../cache/index.js';
import { CategoriesCache } from '../categories/categories.cache.js';
import { CategoriesRepository } from '../categories/categories.repository.js';
import { ConflictProblem, NotFoundProblem, UnprocessableProblem, ValidationProblem } from '../common/http/index.js';
import { MAX_INT, isSqlDate } from '../common/http/query-params.js';
import { pickFields } from '../common/http/sparse-fields.js';
import { encodeCursor, isId, toPage, type Page } from '../common/pagination/keyset-cursor.js';
import {
  toProductDetailDto,
  toProductDto,
  type ProductDetailDto,
  type ProductDto,
  type SearchResultDto,
} from './product.dto.js';
import { PRODUCTS_NAMESPACE, PRODUCT_TTL_MS, ProductsCache, productTag } from './products.cache.js';
import { ProductsRepository, type ProductListQuery } from './products.repository.js';
import type {
  CreateProductBody,
  ListProductsQuery,
  SearchProductsQuery,
  UpdateProductBody,
} from './products.schemas.js';

@Injectable()
export class ProductsService {
  constructor(
    private readonly products: ProductsRepository,
    private readonly cache: CacheService,
    private readonly productsCache: ProductsCache,
    private readonly categories: CategoriesRepository,
    private readonly categoriesCache: CategoriesCache,
  ) {}

  async get(id: number, fields?: string[]): Promise<Partial<ProductDetailDto>> {
    const row = await this.products.findDetail(id);
    if (!row) throw new NotFoundProblem(`Product ${id} does not exist.`);
    return pickFields(toProductDetailDto(row), fields);
  }

  async list(query: ListProductsQuery): Promise<Page<Partial<ProductDto>>> {
    const after = query.cursor ? keyOf(query.sort, query.cursor) : undefined;
    // One extra row tells whether another page exists, without a COUNT.
    const rows = await this.products.findPage({ ...query, limit: query.limit + 1, after } as ProductListQuery);
    // Only an empty page asks whether the category exists: an unknown one is a 422, not "no products".
    if (!rows.length && query.categoryId !== undefined && !(await this.categories.exists(query.categoryId)))
      throw new UnprocessableProblem(`Category ${query.categoryId} does not exist.`, [
        { field: 'query.categoryId', message: 'does not exist' },
      ]);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return toPage(
      page.map((row) => pickFields(toProductDto(row), query.fields)),
      rows.length > query.limit && last
        ? encodeCursor([query.sort, query.sort === 'newest' ? last.createdAt : last.priceCents, last.id])
        : undefined,
    );
  }

  /** Ranked matches, a page at a time (`page` ≤ 50: relevance past that is noise). */
  async search({ q, limit, page, fields }: SearchProductsQuery): Promise<Partial<SearchResultDto>> {
    const rows = await this.productsCache.search(q, limit + 1, (page - 1) * limit);
    const next = rows.length > limit && page < 50 ? page + 1 : undefined;
    const data = rows
      .slice(0, limit)
      .map((row) =>
        pickFields(
          { ...toProductDto(row), score: Math.round(row.score * 1000) / 1000, highlight: row.highlight },
          fields,
        ),
      ) as SearchResultDto['data'];
    // `data` stays when empty (no matches is the answer); `nextPage` goes on the last page.
    return next === undefined ? { data, page } : { data, page, nextPage: next };
  }

  async create(body: CreateProductBody): Promise<ProductDetailDto> {
    const id = await this.products.create(body).catch(translateWriteError);
    // Also drops a cached "not found" of the new id.
    await this.productsCache.changed([id], { listed: true });
    // Categories count active products.
    await this.categoriesCache.changed();
    return this.refresh(id);
  }

  /**
   * Applies a change, drops every cached view of the product and every list page, and refreshes
   * the product's entry from the primary (refresh-after-write). Returns the product as now stored.
   */
  async update(id: number, change: UpdateProductBody): Promise<ProductDetailDto> {
    const found = await this.products.update(id, change).catch(translateWriteError);
    if (!found) throw new NotFoundProblem(`Product ${id} does not exist.`);
    await this.productsCache.changed([id], { listed: true, summaries: true });
    // Categories count active products: a move or an archive (or restore) changes two counts or one.
    if (change.categoryId !== undefined || change.status !== undefined) await this.categoriesCache.changed();
    return this.refresh(id);
  }

  /** Products are archived, not deleted: orders keep pointing at them. */
  async archive(id: number): Promise<void> {
    await this.update(id, { status: 'archived' });
  }

  /**
   * Puts the most-ordered products into the cache, on one instance of many (a distributed lock),
   * so that a cold start does not send the hottest reads to the database all at once. Entries
   * already cached are kept. Returns how many were sent, `undefined` if another instance is warming.
   */
  async warmTopProducts(limit: number): Promise<number | undefined> {
    let warmed = 0;
    const ran = await this.cache.warm('top-products', async () => {
      const ids = await this.products.findMostOrderedIds(limit);
      // In chunks: one query and one Redis transaction per 500 products (one by one took minutes).
      for (let start = 0; start < ids.length; start += 500)
        warmed += await this.cache.fill(
          async () =>
            (await this.products.findDetails(ids.slice(start, start + 500))).map((row) => ({
              key: { namespace: PRODUCTS_NAMESPACE, id: String(row.id) },
              value: toProductDetailDto(row),
              tags: [productTag(row.id)],
            })),
          { ttlMs: PRODUCT_TTL_MS },
        );
    });
    return ran ? warmed : undefined;
  }

  private async refresh(id: number): Promise<ProductDetailDto> {
    const row = await this.products.findDetail(id, { fresh: true });
    if (!row) throw new NotFoundProblem(`Product ${id} does not exist.`);
    const product = toProductDetailDto(row);
    await this.cache.set({ namespace: PRODUCTS_NAMESPACE, id: String(id) }, product, {
      tags: [productTag(id)],
      ttlMs: PRODUCT_TTL_MS,
    });
    return product;
  }
}

/** The cursor must come from the same sort: `[sort, key, id]`. */
function keyOf(sort: ListProductsQuery['sort'], parts: unknown[]): ProductListQuery['after'] {
  const [cursorSort, value, id] = parts;
  if (parts.length === 3 && cursorSort === sort && isId(id)) {
    if (sort === 'newest' && typeof value === 'string' && isSqlDate(new Date(value)))
      return { value: new Date(value), id };
    // price_cents is an integer column: a larger key would fail the query, not end the list.
    if (sort !== 'newest' && Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_INT)
      return { value: value as number, id };
  }
  throw new ValidationProblem([{ field: 'query.cursor', message: 'is not a valid cursor for this sort' }]);
}

function translateWriteError(error: { code?: string; meta?: { target?: unknown } }): never {
  if (error.code === 'P2002') throw new ConflictProblem('A product with this SKU already exists.');
  if (error.code === 'P2003')
    throw new UnprocessableProblem('The category does not exist.', [
      { field: 'body.categoryId', message: 'does not exist' },
    ]);
  throw error;
}
