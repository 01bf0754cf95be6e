import { z } from 'zod';
import {
  MAX_INT,
  STORABLE_TEXT,
  integerParam,
  isStorableText,
  limitParam,
  positiveId,
} from '../common/http/query-params.js';
import { fieldsParam } from '../common/http/sparse-fields.js';
import { MAX_PRICE_CENTS, formatLimit } from '../common/money.js';
import { cursorParam } from '../common/pagination/keyset-cursor.js';
import { requestContract } from '../common/openapi/contract.js';
import { PRODUCT_DETAIL_FIELDS, PRODUCT_FIELDS, SEARCH_RESULT_FIELDS } from './product.dto.js';

export const PRODUCT_SORTS = ['newest', 'price_asc', 'price_desc'] as const;

export const listProductsQuery = z
  .object({
    limit: limitParam,
    cursor: cursorParam.optional(),
    sort: z.enum(PRODUCT_SORTS, { error: `must be one of ${PRODUCT_SORTS.join(', ')}` }).default('newest'),
    categoryId: positiveId.optional(),
    minPrice: integerParam(0, MAX_INT).optional(),
    maxPrice: integerParam(0, MAX_INT).optional(),
    inStock: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .transform((value) => value === 'true')
      .optional(),
    fields: fieldsParam(PRODUCT_FIELDS).optional(),
  })
  .strict()
  .refine((query) => query.minPrice === undefined || query.maxPrice === undefined || query.minPrice <= query.maxPrice, {
    message: 'must not be above maxPrice',
    path: ['minPrice'],
  });

export const productDetailQuery = z.object({ fields: fieldsParam(PRODUCT_DETAIL_FIELDS).optional() }).strict();

const productFields = {
  sku: z.string().regex(/^[A-Z0-9][A-Z0-9-]{2,39}$/, 'must be 3–40 characters: A–Z, 0–9 and dashes'),
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .refine(isStorableText, STORABLE_TEXT),
  description: z.string().max(5_000, 'must be at most 5,000 characters').refine(isStorableText, STORABLE_TEXT),
  priceCents: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must not be negative')
    // Also products_price_cents_max_check.
    .max(MAX_PRICE_CENTS, `must be at most ${formatLimit(MAX_PRICE_CENTS)}`),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
  stock: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(1_000_000, 'must be at most 1,000,000'),
  status: z.enum(['active', 'archived'], { error: 'must be active or archived' }),
  categoryId: z
    .number({ error: 'must be a number' })
    .int()
    .min(1, 'must be a category id')
    .max(MAX_INT, 'must be a category id'),
};

export const createProductBody = requestContract(
  'ProductCreateRequest',
  z
    .object({
      ...productFields,
      description: productFields.description.default(''),
      currency: productFields.currency.default('USD'),
      stock: productFields.stock.default(0),
      status: productFields.status.default('active'),
    })
    .strict(),
);

export const updateProductBody = requestContract(
  'ProductUpdateRequest',
  z
    .object(productFields)
    .partial()
    .strict()
    .refine((body) => Object.keys(body).length > 0, { message: 'must change at least one field' }),
);

export type ListProductsQuery = z.output<typeof listProductsQuery>;
export type ProductDetailQuery = z.output<typeof productDetailQuery>;
export type CreateProductBody = z.output<typeof createProductBody>;
export type UpdateProductBody = z.output<typeof updateProductBody>;

export const searchProductsQuery = z
  .object({
    q: z
      .string({ error: 'is required' })
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      // Postgres text cannot hold NUL, and control characters are never a search.
      .refine(
        // oxlint-disable-next-line no-control-regex -- rejecting control characters is the point
        (value) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value),
        'must not contain control characters',
      ),
    limit: integerParam(1, 50).default(20),
    page: integerParam(1, 50).default(1),
    fields: fieldsParam(SEARCH_RESULT_FIELDS).optional(),
  })
  .strict();

export type SearchProductsQuery = z.output<typeof searchProductsQuery>;
