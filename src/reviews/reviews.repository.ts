import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma } from '../generated/prisma/client.js';

export interface ReviewRow {
  id: number;
  productId: number;
  userId: number;
  rating: number;
  comment: string;
  createdAt: Date;
}

/** The only code that reads or writes reviews. */
@Injectable()
export class ReviewsRepository {
  constructor(private readonly db: Db) {}

  /** A product's reviews, newest first, after the keyset cursor. */
  findPage(productId: number, limit: number, cursor?: { createdAt: Date; id: number }): Promise<ReviewRow[]> {
    const after = cursor ? Prisma.sql`AND (created_at, id) < (${cursor.createdAt}, ${cursor.id})` : Prisma.empty;
    return this.db.reader().$queryRaw<ReviewRow[]>`
      SELECT id, product_id AS "productId", user_id AS "userId", rating, comment, created_at AS "createdAt"
      FROM reviews WHERE product_id = ${productId} ${after}
      ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
  }

  /** @throws Prisma's P2002 when the user has reviewed the product already */
  create(review: Omit<ReviewRow, 'id' | 'createdAt'>): Promise<ReviewRow> {
    return this.db.primary.review.create({
      data: review,
      select: { id: true, productId: true, userId: true, rating: true, comment: true, createdAt: true },
    });
  }
}
