import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { CacheService } from '../cache/index.js';
import { ConflictProblem, NotFoundProblem } from '../common/http/index.js';
import { createdAtIdCursorOf, type Page } from '../common/pagination/keyset-cursor.js';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { RequestLoaders } from '../loaders/request-loaders.js';
import { productsChanged } from '../products/products.cache.js';
import type { UserSummary } from '../users/user.dto.js';
import type { ReviewDto } from './review.dto.js';
import type { CreateReviewBody, ListReviewsQuery } from './reviews.schemas.js';

interface ReviewRow {
  id: number;
  productId: number;
  userId: number;
  rating: number;
  comment: string;
  createdAt: Date;
}

@Injectable()
export class ReviewsService {
  constructor(
    private readonly db: Db,
    private readonly cache: CacheService,
  ) {}

  async list(
    productId: number,
    { limit, cursor }: ListReviewsQuery,
    loaders: RequestLoaders,
  ): Promise<Page<ReviewDto>> {
    await this.requireProduct(productId);
    const after = cursor ? Prisma.sql`AND (created_at, id) < (${cursor.createdAt}, ${cursor.id})` : Prisma.empty;
    const rows = await this.db.reader().$queryRaw<ReviewRow[]>`
      SELECT id, product_id AS "productId", user_id AS "userId", rating, comment, created_at AS "createdAt"
      FROM reviews WHERE product_id = ${productId} ${after}
      ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: await Promise.all(page.map(async (row) => this.toDto(row, await loaders.users.load(row.userId)))),
      nextCursor: rows.length > limit && last ? createdAtIdCursorOf(last) : null,
    };
  }

  /**
   * One review per user and product (409 on a second). The product's rating aggregate is computed
   * by the database from the reviews table, so the write only has to drop the product's cached views.
   */
  async create(user: AuthUser, productId: number, body: CreateReviewBody, loaders: RequestLoaders): Promise<ReviewDto> {
    await this.requireProduct(productId);
    try {
      const row = await this.db.primary.review.create({
        data: { productId, userId: user.id, rating: body.rating, comment: body.comment },
        select: { id: true, productId: true, userId: true, rating: true, comment: true, createdAt: true },
      });
      await productsChanged(this.cache, [productId]);
      return this.toDto(row, await loaders.users.load(user.id));
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002')
        throw new ConflictProblem('You have already reviewed this product.');
      throw error;
    }
  }

  private async requireProduct(id: number): Promise<void> {
    const product = await this.db.reader().product.findUnique({ where: { id }, select: { id: true } });
    if (!product) throw new NotFoundProblem(`Product ${id} does not exist.`);
  }

  private toDto(row: ReviewRow, user: UserSummary | null): ReviewDto {
    return {
      id: row.id,
      productId: row.productId,
      rating: row.rating,
      comment: row.comment,
      createdAt: row.createdAt.toISOString(),
      user,
    };
  }
}
