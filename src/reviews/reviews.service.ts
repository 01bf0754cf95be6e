import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { ConflictProblem, NotFoundProblem, ProblemException } from '../common/http/index.js';
import { pickFields, wants } from '../common/http/sparse-fields.js';
import { withoutEmpty } from '../common/http/without-empty.js';
import { createdAtIdCursorOf, toPage, type Page } from '../common/pagination/keyset-cursor.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { ProductsCache } from '../products/products.cache.js';
import { ProductsRepository } from '../products/products.repository.js';
import type { UserSummary } from '../users/user.dto.js';
import type { ReviewDto } from './review.dto.js';
import { ReviewsRepository, type ReviewRefusal, type ReviewRow } from './reviews.repository.js';
import type { CreateReviewBody, ListReviewsQuery } from './reviews.schemas.js';

const REFUSALS: Record<ReviewRefusal, (productId: number) => ProblemException> = {
  'no-product': (id) => new NotFoundProblem(`Product ${id} does not exist.`),
  'already-reviewed': () => new ConflictProblem('You have already reviewed this product.'),
  archived: (id) =>
    new ProblemException(409, 'product-archived', `Product ${id} is archived: it takes no new reviews.`),
  'not-a-buyer': () =>
    new ProblemException(
      403,
      'not-a-buyer',
      'Only buyers of this product can review it: it is in none of your paid orders.',
    ),
  'changed-meanwhile': () => new ConflictProblem('The product or your orders changed meanwhile; try again.'),
};

@Injectable()
export class ReviewsService {
  constructor(
    private readonly reviews: ReviewsRepository,
    private readonly products: ProductsRepository,
    private readonly productsCache: ProductsCache,
  ) {}

  /** Newest first; authors are loaded only when `fields` includes `user`. */
  async list(
    productId: number,
    { limit, cursor, fields }: ListReviewsQuery,
    loaders: RequestLoaders,
  ): Promise<Page<Partial<ReviewDto>>> {
    await this.requireProduct(productId);
    const rows = await this.reviews.findPage(productId, limit + 1, cursor);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const withUsers = wants(fields, 'user');
    return toPage(
      await Promise.all(
        page.map(async (row) =>
          pickFields(this.toDto(row, withUsers ? await loaders.users.load(row.userId) : null), fields),
        ),
      ),
      rows.length > limit && last ? createdAtIdCursorOf(last) : undefined,
    );
  }

  /**
   * One review per user and product (409 on a second), only by a buyer (403) of an active product
   * (409 when archived): the insert checks all of it, so a review is one statement; the reason is
   * looked up only when it is refused. The product's rating aggregate is computed by the database
   * from the reviews table, so the write only has to drop the product's cached views.
   */
  async create(user: AuthUser, productId: number, body: CreateReviewBody, loaders: RequestLoaders): Promise<ReviewDto> {
    const row = await this.reviews.create({ productId, userId: user.id, rating: body.rating, comment: body.comment });
    if (!row) throw REFUSALS[await this.reviews.refusal(user.id, productId)](productId);
    // Read once after the commit, shared by the invalidation and the response's consistency token.
    const position = await this.reviews.committedPosition().catch(() => undefined);
    await this.productsCache.changed([productId], { position });
    return this.toDto(row, await loaders.users.load(user.id));
  }

  private async requireProduct(id: number): Promise<void> {
    if (!(await this.products.exists(id))) throw new NotFoundProblem(`Product ${id} does not exist.`);
  }

  private toDto(row: ReviewRow, user: UserSummary | null): ReviewDto {
    return withoutEmpty<ReviewDto>({
      id: row.id,
      productId: row.productId,
      rating: row.rating,
      comment: row.comment,
      createdAt: row.createdAt.toISOString(),
      user,
    });
  }
}
