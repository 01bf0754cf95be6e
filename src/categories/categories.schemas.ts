import { z } from 'zod';
import { MAX_INT, STORABLE_TEXT, isStorableText } from '../common/http/query-params.js';
import { withoutEmpty } from '../common/http/without-empty.js';
import { int32, requestContract, responseContract } from '../common/openapi/contract.js';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SLUG_MAX = 64;

/** What clients see of a category: a flat list's item; `parentId` builds the tree. */
export const categorySchema = responseContract(
  'Category',
  z
    .object({
      id: int32,
      name: z.string(),
      slug: z.string().describe('Lower-case letters, digits and dashes; unique'),
      parentId: int32.optional().describe('The parent category; absent at the top of the tree'),
      productCount: int32.describe('Active products in this category itself'),
      totalProductCount: int32.describe('Active products in this category and all its descendants'),
    })
    .meta({
      examples: [{ id: 7, name: 'Mugs', slug: 'mugs', parentId: 3, productCount: 120, totalProductCount: 120 }],
    }),
);

/** `GET /categories`: every category (a shop has tens, not thousands: no pages), by name. */
export const categoryListSchema = responseContract(
  'CategoryList',
  z.object({ data: z.array(categorySchema).describe('Every category, by name; parents and children alike') }),
);

export type CategoryDto = z.infer<typeof categorySchema>;
export type CategoryListDto = z.infer<typeof categoryListSchema>;

/** A category as the repository selects it: `parentId` null at the top. */
export type CategoryRow = Omit<CategoryDto, 'parentId'> & { parentId: number | null };

/** Field by field (internal columns never leak); a top-level category has no `parentId` (lean payloads). */
export function toCategoryDto(row: CategoryRow): CategoryDto {
  return withoutEmpty<CategoryDto>({
    id: row.id,
    name: row.name,
    slug: row.slug,
    parentId: row.parentId,
    productCount: row.productCount,
    totalProductCount: row.totalProductCount,
  });
}

const name = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine(isStorableText, STORABLE_TEXT)
  // oxlint-disable-next-line no-control-regex -- rejecting control characters is the point
  .refine((value) => !/[\u0000-\u001F\u007F]/.test(value), 'must not contain control characters');
const slug = z
  .string({ error: 'must be a string' })
  .max(SLUG_MAX, `must be at most ${SLUG_MAX} characters`)
  .regex(SLUG, 'must be lower-case letters and digits, words joined by single dashes (e.g. "garden-tools")');
const parentId = z
  .number({ error: 'must be a category id or null' })
  .int('must be a category id or null')
  .min(1, 'must be a category id or null')
  .max(MAX_INT, 'must be a category id or null')
  .nullable();

/** "Garden & Tools" → "garden-tools"; accents dropped; '' when nothing is left. */
export function slugOf(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, SLUG_MAX)
    .replace(/^-+|-+$/g, '');
}

export const createCategoryBody = requestContract(
  'CategoryCreateRequest',
  z
    .object({
      name,
      slug: slug.optional().describe('Derived from the name when absent'),
      parentId: parentId.optional().describe('Absent or null: a top-level category'),
    })
    .strict()
    .transform((body, context) => {
      const derived = body.slug ?? slugOf(body.name);
      if (!derived)
        context.addIssue({
          code: 'custom',
          path: ['slug'],
          message: 'is required when the name has no letters or digits to derive it from',
        });
      return { name: body.name, slug: derived, parentId: body.parentId ?? null };
    }),
);

/** Rename (`name`, `slug`: a rename keeps the slug unless given, as links use it) and move (`parentId`). */
export const updateCategoryBody = requestContract(
  'CategoryUpdateRequest',
  z
    .object({
      name: name.optional(),
      slug: slug.optional(),
      parentId: parentId.optional().describe('null: move to the top level'),
    })
    .strict()
    .refine((body) => Object.keys(body).length > 0, { message: 'must change at least one field' }),
);

export type CreateCategoryBody = z.output<typeof createCategoryBody>;
export type UpdateCategoryBody = z.output<typeof updateCategoryBody>;
