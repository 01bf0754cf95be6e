import { Injectable } from '@nestjs/common';
import { NotFoundProblem } from '../common/http/index.js';
import { encodeCursor, type Page } from '../common/pagination/keyset-cursor.js';
import { toProductDto, type ProductDto } from './product.dto.js';
import type { ListProductsQuery } from './products.schemas.js';
import { ProductsRepository, type ProductChange } from './products.repository.js';
import { CacheService } from '../cache/index.js';

export const PRODUCTS_NAMESPACE = 'products';
export const PRODUCT_LISTS_TAG = 'product-lists';
export const productTag = (id: number | string) => `product:${id}`;

@Injectable()
export class ProductsService {
  constructor(
    private readonly products: ProductsRepository,
    private readonly cache: CacheService,
  ) {}

  async get(id: number): Promise<ProductDto> {
    const row = await this.products.findById(id);
    if (!row) throw new NotFoundProblem(`Product ${id} does not exist.`);
    return toProductDto(row);
  }

  /**
   * Applies a change, then refreshes the product's cache entry with the row the primary returned
   * (refresh-after-write) and drops every cached list page. Returns the product as now stored.
   */
  async update(id: number, change: ProductChange): Promise<ProductDto> {
    const row = await this.products.update(id, change);
    if (!row) throw new NotFoundProblem(`Product ${id} does not exist.`);
    const product = toProductDto(row);
    await this.cache.set({ namespace: PRODUCTS_NAMESPACE, id: String(id) }, product, { tags: [productTag(id)] });
    await this.cache.invalidateTags([PRODUCT_LISTS_TAG]);
    return product;
  }

  /**
   * Puts the most-ordered products into the cache, on one instance of many (a distributed lock),
   * so that a cold start does not send the hottest reads to the database all at once.
   */
  async warmTopProducts(limit: number): Promise<boolean> {
    return this.cache.warm('top-products', async () => {
      for (const row of await this.products.findMostOrdered(limit)) {
        await this.cache.set({ namespace: PRODUCTS_NAMESPACE, id: String(row.id) }, toProductDto(row), { tags: [productTag(row.id)] });
      }
    });
  }

  async list({ limit, cursor }: ListProductsQuery): Promise<Page<ProductDto>> {
    // One extra row tells whether another page exists without a COUNT.
    const rows = await this.products.findNewest(limit + 1, cursor);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map(toProductDto),
      nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }
}
