import type { ProductStatus } from '../generated/prisma/client.js';

/** What clients see of a product. Built field by field: internal columns never leak. */
export interface ProductDto {
  id: number;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  status: ProductStatus;
  categoryId: number;
  createdAt: string;
  updatedAt: string;
}

/** A row as the repository selects it: timestamps already ISO strings (`isoTimestamp`). */
export type ProductRow = ProductDto;

export interface ReviewSummaryDto {
  id: number;
  rating: number;
  comment: string;
  createdAt: string;
}

/** `GET /products/:id`: the product with its category, rating aggregate and latest reviews. */
export interface ProductDetailDto extends ProductDto {
  category: { id: number; name: string; slug: string };
  rating: { average: number | null; count: number };
  latestReviews: ReviewSummaryDto[];
}

export type ProductDetailRow = ProductRow & {
  categoryName: string;
  categorySlug: string;
  ratingAverage: number | null;
  ratingCount: number;
  latestReviews: ReviewSummaryDto[] | null;
};

/** The fields `?fields=` may name. */
export const PRODUCT_FIELDS = [
  'id',
  'sku',
  'name',
  'description',
  'priceCents',
  'currency',
  'stock',
  'status',
  'categoryId',
  'createdAt',
  'updatedAt',
] as const;
export const PRODUCT_DETAIL_FIELDS = [...PRODUCT_FIELDS, 'category', 'rating', 'latestReviews'] as const;

export function toProductDto(row: ProductRow): ProductDto {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.priceCents,
    currency: row.currency,
    stock: row.stock,
    status: row.status,
    categoryId: row.categoryId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toProductDetailDto(row: ProductDetailRow): ProductDetailDto {
  return {
    ...toProductDto(row),
    category: { id: row.categoryId, name: row.categoryName, slug: row.categorySlug },
    rating: {
      average: row.ratingAverage === null ? null : Math.round(row.ratingAverage * 100) / 100,
      count: row.ratingCount,
    },
    latestReviews: row.latestReviews ?? [],
  };
}

/** Keeps only the requested fields (already validated against the whitelist). */
export function pick<T extends object>(value: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields) return value;
  return Object.fromEntries(fields.map((field) => [field, value[field as keyof T]])) as Partial<T>;
}

/** What other pages (orders) show of a product. */
export interface ProductSummary {
  id: number;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
}
