import { Injectable } from '@nestjs/common';
import { CacheService, type InvalidationOptions } from '../cache/index.js';
import type { ProductSummary } from './product.dto.js';
import { ProductsRepository, type SearchHit, type SearchRank } from './products.repository.js';

/**
 * The products' cache layout, owned here: other domains call `ProductsCache` (`changed`,
 * `summaries`) and never spell these names.
 *
 * - `products`: a product's detail (`GET /products/:id`, id = the product id; `?fields=` views
 *   beside it), tagged `product:<id>` — a handful of entries per tag.
 * - `product-lists`, `product-search`: pages and searches, one entry per canonical query, untagged
 *   (a tag would collect a member per query, without bound); dropped as a whole by a namespace
 *   bump (O(1)) and otherwise short-lived.
 * - `product-search-ranks`: a search page's ids, scores and highlights, without the products'
 *   rows — what ranking costs (tens of ms of database CPU for a common word) kept for minutes.
 * - `product-summaries`: what order and review pages show of a product (the request loaders).
 */
export const PRODUCTS_NAMESPACE = 'products';
export const PRODUCT_LISTS_NAMESPACE = 'product-lists';
export const PRODUCT_SEARCH_NAMESPACE = 'product-search';
const PRODUCT_SEARCH_RANKS_NAMESPACE = 'product-search-ranks';
export const PRODUCT_SUMMARIES_NAMESPACE = 'product-summaries';
export const productTag = (id: number | string) => `product:${id}`;

/**
 * Product details live 10 minutes: every write that changes one (admin edits, reviews, checkout's
 * stock, restocks) goes through `ProductsCache.changed`, so the TTL is only the safety net for writes
 * that bypass the API; a long one keeps a warmed catalog warm (reloading 100k products a minute would not).
 */
export const PRODUCT_TTL_MS = 10 * 60_000;
export const PRODUCT_LISTS_TTL_MS = 10_000;
export const PRODUCT_SEARCH_TTL_MS = 30_000;
/**
 * Ranks change only with catalog edits, which bump the namespace; the TTL bounds what a write that
 * bypasses the API leaves behind. Served stale for a while during a refresh, so a popular query
 * never waits on ranking again once it has been ranked.
 */
const SEARCH_RANKS_TTL_MS = 10 * 60_000;
const SEARCH_RANKS_GRACE_MS = 60_000;
/** Summaries change rarely and are small: long enough in the cache to make MGET hits the norm. */
const SUMMARY_TTL_MS = 5 * 60_000;

/** The products' cache, for every domain that shows products or changes them. */
@Injectable()
export class ProductsCache {
  constructor(
    private readonly cache: CacheService,
    private readonly products: ProductsRepository,
  ) {}

  /**
   * Drops the cached views of products that changed: their details (every `?fields=` view too), and
   * with `listed` every list page and search — for a new product or a change to what lists show,
   * filter or rank by. Stock moves (checkout, restocks) and reviews leave lists alone: a page may
   * show stock up to its TTL old, and dropping every page on each order would leave none cached.
   * `summaries`: also what order pages show of them (name, price). `position`: the primary's
   * position after the change, if the caller has read it.
   */
  async changed(
    ids: readonly number[],
    {
      listed = false,
      summaries = false,
      position,
    }: { listed?: boolean; summaries?: boolean } & InvalidationOptions = {},
  ): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length) await this.cache.invalidateTags(unique.map(productTag), { position });
    if (summaries && unique.length)
      await this.cache.delete(...unique.map((id) => ({ namespace: PRODUCT_SUMMARIES_NAMESPACE, id })));
    if (listed)
      await Promise.all([
        this.cache.bumpNamespace(PRODUCT_LISTS_NAMESPACE, { position }),
        this.cache.bumpNamespace(PRODUCT_SEARCH_NAMESPACE, { position }),
        this.cache.bumpNamespace(PRODUCT_SEARCH_RANKS_NAMESPACE, { position }),
      ]);
  }

  /**
   * A search page's hits (`limit` from `offset`), ranked once per query for minutes: a cold query
   * runs the whole search (one statement) and keeps its ranking; later ones read only the ranked
   * rows by id (one primary-key statement), so stock is as fresh as a list page's.
   */
  async search(q: string, limit: number, offset: number): Promise<SearchHit[]> {
    let loaded: SearchHit[] | undefined;
    const ranks = await this.cache.getOrSet<SearchRank[]>(
      { namespace: PRODUCT_SEARCH_RANKS_NAMESPACE, id: [q, limit, offset] },
      async () => {
        loaded = await this.products.search(q, limit, offset);
        return loaded.map(({ id, score, highlight }) => ({ id, score, highlight }));
      },
      { ttlMs: SEARCH_RANKS_TTL_MS, graceMs: SEARCH_RANKS_GRACE_MS },
    );
    if (loaded) return loaded;
    if (!ranks?.length) return [];
    const rows = new Map((await this.products.findRows(ranks.map((rank) => rank.id))).map((row) => [row.id, row]));
    return ranks.flatMap((rank) => {
      const row = rows.get(rank.id);
      return row ? [{ ...row, score: rank.score, highlight: rank.highlight }] : [];
    });
  }

  /** Summaries of these products (`null` for ids that do not exist): one MGET, one query for the misses. */
  summaries(ids: readonly number[]): Promise<(ProductSummary | null)[]> {
    return this.cache.getManyByIds(
      PRODUCT_SUMMARIES_NAMESPACE,
      ids,
      (missing) => this.products.findSummaries(missing),
      {
        ttlMs: SUMMARY_TTL_MS,
      },
    );
  }
}
