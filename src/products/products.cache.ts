import type { CacheService, InvalidationOptions } from '../cache/index.js';

/**
 * The products' cache layout, owned here: other domains call `productsChanged` and never spell
 * these names.
 *
 * - `products`: a product's detail (`GET /products/:id`, id = the product id; `?fields=` views
 *   beside it), tagged `product:<id>` — a handful of entries per tag.
 * - `product-lists`, `product-search`: pages and searches, one entry per canonical query, untagged
 *   (a tag would collect a member per query, without bound); dropped as a whole by a namespace
 *   bump (O(1)) and otherwise short-lived.
 */
export const PRODUCTS_NAMESPACE = 'products';
export const PRODUCT_LISTS_NAMESPACE = 'product-lists';
export const PRODUCT_SEARCH_NAMESPACE = 'product-search';
export const productTag = (id: number | string) => `product:${id}`;

/**
 * Product details live 10 minutes: every write that changes one (admin edits, reviews, checkout's
 * stock, restocks) goes through `productsChanged`, so the TTL is only the safety net for writes that
 * bypass the API; a long one keeps a warmed catalog warm (reloading 100k products a minute would not).
 */
export const PRODUCT_TTL_MS = 10 * 60_000;
export const PRODUCT_LISTS_TTL_MS = 10_000;
export const PRODUCT_SEARCH_TTL_MS = 30_000;

/**
 * Drops the cached views of products that changed: their details (every `?fields=` view too), and
 * with `listed` every list page and search — for a new product or a change to what lists show,
 * filter or rank by. Stock moves (checkout, restocks) and reviews leave lists alone: a page may show
 * stock up to its TTL old, and dropping every page on each order would leave none cached.
 * `position`: the primary's position after the change, if the caller has read it.
 */
export async function productsChanged(
  cache: CacheService,
  ids: readonly number[],
  { listed = false, position }: { listed?: boolean } & InvalidationOptions = {},
): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length) await cache.invalidateTags(unique.map(productTag), { position });
  if (listed)
    await Promise.all([
      cache.bumpNamespace(PRODUCT_LISTS_NAMESPACE, { position }),
      cache.bumpNamespace(PRODUCT_SEARCH_NAMESPACE, { position }),
    ]);
}
