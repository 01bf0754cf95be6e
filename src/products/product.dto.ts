import { z } from 'zod';
import { withoutEmpty } from '../common/http/without-empty.js';
import { int32, isoDateTime, pageOf, responseContract } from '../common/openapi/contract.js';

/** What clients see of a product. Built field by field (`toProductDto`): internal columns never leak. */
export const productSchema = responseContract(
  'Product',
  z
    .object({
      id: int32,
      sku: z.string(),
      name: z.string(),
      description: z.string().optional().describe('Absent when the product has none'),
      priceCents: int32,
      currency: z.string().regex(/^[A-Z]{3}$/),
      stock: int32,
      status: z.enum(['active', 'archived']),
      categoryId: int32,
      createdAt: isoDateTime,
      updatedAt: isoDateTime,
    })
    .meta({
      examples: [
        {
          id: 42,
          sku: 'MUG-0042',
          name: 'Enamel mug',
          description: 'Holds 350 ml.',
          priceCents: 1_499,
          currency: 'USD',
          stock: 120,
          status: 'active',
          categoryId: 3,
          createdAt: '2026-10-01T09:00:00.000Z',
          updatedAt: '2026-11-02T15:30:00.000Z',
        },
      ],
    }),
);

export const reviewSummarySchema = responseContract(
  'ReviewSummary',
  z.object({
    id: int32,
    rating: z.int().min(1).max(5),
    comment: z.string().optional().describe('Absent when the review has only a rating'),
    createdAt: isoDateTime,
  }),
);

/** `GET /products/:id`: the product with its category, rating aggregate and latest reviews. */
export const productDetailSchema = responseContract(
  'ProductDetail',
  productSchema.extend({
    category: z.object({ id: int32, name: z.string(), slug: z.string() }),
    rating: z.object({
      average: z.number().optional().describe('Mean rating, two decimals; absent without reviews (count 0)'),
      count: int32,
    }),
    latestReviews: z
      .array(reviewSummarySchema)
      .min(1)
      .max(5)
      .optional()
      .describe('Newest first; absent without reviews'),
  }),
);

/** A product as summaries show it (order items, caches of loaders). */
export const productSummarySchema = responseContract(
  'ProductSummary',
  productSchema.pick({ id: true, sku: true, name: true, priceCents: true, currency: true }),
);

export const productPageSchema = pageOf('ProductPage', productSchema);

export const searchResultSchema = responseContract(
  'SearchResult',
  z.object({
    data: z.array(
      productSchema.extend({
        score: z.number().describe('Relevance, higher first'),
        highlight: z.string().describe('Name and description around the matches, the matched terms in <mark>…</mark>'),
      }),
    ),
    page: int32,
    nextPage: int32
      .optional()
      .describe('Pass as `page` for the next page (also in the Link header); absent on the last'),
  }),
);

export type ProductDto = z.infer<typeof productSchema>;
export type ReviewSummaryDto = z.infer<typeof reviewSummarySchema>;
export type ProductDetailDto = z.infer<typeof productDetailSchema>;
export type ProductSummary = z.infer<typeof productSummarySchema>;
export type SearchResultDto = z.infer<typeof searchResultSchema>;

/** A row as the repository selects it: timestamps already ISO strings (`isoTimestamp`). */
export type ProductRow = Required<ProductDto>;

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
export const SEARCH_RESULT_FIELDS = [...PRODUCT_FIELDS, 'score', 'highlight'] as const;

export function toProductDto(row: ProductRow): ProductDto {
  return withoutEmpty<ProductDto>({
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
  });
}

export function toProductDetailDto(row: ProductDetailRow): ProductDetailDto {
  return withoutEmpty<ProductDetailDto>({
    ...toProductDto(row),
    category: { id: row.categoryId, name: row.categoryName, slug: row.categorySlug },
    rating: withoutEmpty<ProductDetailDto['rating']>({
      average: row.ratingAverage === null ? null : Math.round(row.ratingAverage * 100) / 100,
      count: row.ratingCount,
    }),
    latestReviews: row.latestReviews?.map((review) => withoutEmpty<ReviewSummaryDto>(review)),
  });
}
