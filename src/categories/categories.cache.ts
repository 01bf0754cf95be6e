import { Injectable } from '@nestjs/common';
import { CacheService } from '../cache/index.js';

/**
 * The categories' cache layout, owned here: other domains call `CategoriesCache.changed` and never
 * spell these names.
 *
 * - `category-list`: `GET /categories`, one entry (the route takes no query);
 * - `categories`: `GET /categories/:id`, one entry per category.
 *
 * All are tagged `categories`: the list and every category carry product counts, so a category
 * written, or a product created, moved to another category, archived or restored, changes several
 * of them at once. The tag holds one entry per category plus the list — tens, as categories are few.
 */
export const CATEGORY_LIST_NAMESPACE = 'category-list';
export const CATEGORIES_NAMESPACE = 'categories';
export const CATEGORIES_TAG = 'categories';
/**
 * Every write that changes a count or a category drops the entries (the tag), so the TTL only
 * bounds what a write that bypasses the API leaves behind.
 */
export const CATEGORIES_TTL_MS = 5 * 60_000;

@Injectable()
export class CategoriesCache {
  constructor(private readonly cache: CacheService) {}

  /** Drops every cached category and the list: after a category's write, or a change to what it counts. */
  async changed(): Promise<void> {
    await this.cache.invalidateTags([CATEGORIES_TAG]);
  }
}
