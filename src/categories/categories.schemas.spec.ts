import { createCategoryBody, slugOf, updateCategoryBody } from './categories.schemas.js';

describe('category schemas', () => {
  it.each([
    ['Garden & Outdoor', 'garden-outdoor'],
    ['  Crème brûlée  ', 'creme-brulee'],
    ['Tools 2', 'tools-2'],
    ['--x--', 'x'],
    ['🦄🦄', ''],
    [`${'a'.repeat(63)} b`, 'a'.repeat(63)],
  ])('derives the slug of %j: %j', (name, slug) => {
    expect(slugOf(name)).toBe(slug);
  });

  it('derives a missing slug, keeps a given one, and makes a missing parent null', () => {
    expect(createCategoryBody.parse({ name: ' Mugs & Cups ' })).toEqual({
      name: 'Mugs & Cups',
      slug: 'mugs-cups',
      parentId: null,
    });
    expect(createCategoryBody.parse({ name: 'Mugs', slug: 'coffee-mugs', parentId: 3 })).toEqual({
      name: 'Mugs',
      slug: 'coffee-mugs',
      parentId: 3,
    });
  });

  it('asks for a slug when the name gives none, and refuses an empty change', () => {
    const derived = createCategoryBody.safeParse({ name: '🦄' });
    expect(derived.error?.issues).toEqual([expect.objectContaining({ path: ['slug'] })]);
    expect(updateCategoryBody.safeParse({}).success).toBe(false);
    expect(updateCategoryBody.parse({ parentId: null })).toEqual({ parentId: null });
  });
});
