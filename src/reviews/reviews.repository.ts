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

/** Why a review was not written (`ReviewsRepository.refusal`). */
export type ReviewRefusal = 'no-product' | 'already-reviewed' | 'archived' | 'not-a-buyer' | 'changed-meanwhile';

/**
 * Orders that count as bought: paid, and what a paid order can become (`shipped`, `delivered`).
 * Compared as text, so the statement runs whether or not the enum has every one of these values.
 */
const BOUGHT = Prisma.sql`o.status::text IN ('paid', 'shipped', 'delivered')`;

/** The user has a bought order holding the product `p`: through their orders (few), then the items index. */
const boughtBy = (userId: number) => Prisma.sql`EXISTS (
  SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id
  WHERE o.user_id = ${userId} AND i.product_id = p.id AND ${BOUGHT})`;

/** The only code that reads or writes reviews. */
@Injectable()
export class ReviewsRepository {
  constructor(private readonly db: Db) {}

  /** The primary's position after this session's last commit (a replica at it shows the review). */
  committedPosition(): Promise<string> {
    return this.db.committedPosition();
  }

  /** A product's reviews, newest first, after the keyset cursor. */
  findPage(productId: number, limit: number, cursor?: { createdAt: Date; id: number }): Promise<ReviewRow[]> {
    const after = cursor ? Prisma.sql`AND (created_at, id) < (${cursor.createdAt}, ${cursor.id})` : Prisma.empty;
    return this.db.reader().$queryRaw<ReviewRow[]>`
      SELECT id, product_id AS "productId", user_id AS "userId", rating, comment, created_at AS "createdAt"
      FROM reviews WHERE product_id = ${productId} ${after}
      ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
  }

  /**
   * Writes the review if the product is active, the user bought it and has not reviewed it yet,
   * all in the one statement; `undefined` when any of these fails (`refusal` says which).
   */
  async create(review: Omit<ReviewRow, 'id' | 'createdAt'>): Promise<ReviewRow | undefined> {
    const [row] = await this.db.primary.$queryRaw<ReviewRow[]>`
      INSERT INTO reviews (product_id, user_id, rating, comment)
      SELECT p.id, ${review.userId}, ${review.rating}, ${review.comment}
      FROM products p
      WHERE p.id = ${review.productId} AND p.status = 'active' AND ${boughtBy(review.userId)}
      ON CONFLICT (user_id, product_id) DO NOTHING
      RETURNING id, product_id AS "productId", user_id AS "userId", rating, comment, created_at AS "createdAt"`;
    return row;
  }

  /** Why `create` wrote nothing: read on the primary, right after it (the rare path). */
  async refusal(userId: number, productId: number): Promise<ReviewRefusal> {
    const [row] = await this.db.primary.$queryRaw<{ archived: boolean; reviewed: boolean; bought: boolean }[]>`
      SELECT p.status <> 'active' AS archived,
        EXISTS (SELECT 1 FROM reviews r WHERE r.user_id = ${userId} AND r.product_id = p.id) AS reviewed,
        ${boughtBy(userId)} AS bought
      FROM products p WHERE p.id = ${productId}`;
    if (!row) return 'no-product';
    if (row.reviewed) return 'already-reviewed';
    if (row.archived) return 'archived';
    // Bought, active and not reviewed now, yet the insert found otherwise: it ran while the product
    // or an order changed (archived and restored, an order refunded meanwhile).
    return row.bought ? 'changed-meanwhile' : 'not-a-buyer';
  }
}
