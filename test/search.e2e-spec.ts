import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CacheService } from '../src/cache/index.js';
import { Db } from '../src/database/index.js';
import { PRODUCT_SEARCH_NAMESPACE, ProductsCache } from '../src/products/products.cache.js';
import { nextLink } from './support/links.js';
import { createTestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

describe('product search (e2e)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app?.close();
  });

  const search = (q: string, extra = '') =>
    app.inject({ method: 'GET', url: `/products/search?q=${encodeURIComponent(q)}${extra}` });

  it('finds by words, ranked, with highlights', async () => {
    const response = await search('walnut hammer');
    expect(response.statusCode).toBe(200);
    const { data } = response.json();
    expect(data.length).toBeGreaterThan(0);
    expect(data[0].name.toLowerCase()).toContain('hammer');
    expect(data[0].highlight).toContain('<mark>');
    for (let i = 1; i < data.length; i++) expect(data[i - 1].score).toBeGreaterThanOrEqual(data[i].score);
  });

  it('still finds with a typo ("hammmer")', async () => {
    const { data } = (await search('hammmer')).json();
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((product: { name: string }) => /hammer/i.test(product.name))).toBe(true);
  });

  it('ranks full-text matches (score ≥ 1) above typo matches, which only fill what full text leaves', async () => {
    type Hit = { name: string; description: string; score: number };
    const typos = (await search('hammmer')).json().data as Hit[];
    expect(typos.length).toBeGreaterThan(0);
    expect(typos.every((hit) => hit.score < 1)).toBe(true);
    const hits = (await search('hammer', '&limit=50')).json().data as Hit[];
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(hit.score >= 1).toBe(/hammer/i.test(`${hit.name} ${hit.description}`));
  });

  it('pages through results without repeats', async () => {
    const first = (await search('steel', '&limit=10&page=1')).json();
    const second = (await search('steel', '&limit=10&page=2')).json();
    expect(first.nextPage).toBe(2);
    const ids = [...first.data, ...second.data].map((product: { id: number }) => product.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('caches results briefly', async () => {
    await search('copper lamp');
    expect((await search('copper lamp')).headers['x-cache']).toBe('HIT');
  });

  it('ranks a query once for minutes; the rows (stock, names) are read fresh by id until the catalog is edited', async () => {
    type Hit = { id: number; name: string; stock: number };
    const hits = async () => (await search('walnut', '&limit=5')).json().data as Hit[];
    const [first] = await hits();
    const db = app.get(Db);
    // Behind the API's back (no invalidation): renamed so a fresh ranking would no longer find it.
    await db.primary.$executeRaw`UPDATE products SET name = 'Renamed lamp', stock = stock + 7 WHERE id = ${first.id}`;
    try {
      await app.get(CacheService).bumpNamespace(PRODUCT_SEARCH_NAMESPACE); // the responses, not the ranking
      let seen: Hit | undefined;
      await waitFor(
        async () => {
          seen = (await hits()).find((hit) => hit.id === first.id);
          await app.get(CacheService).bumpNamespace(PRODUCT_SEARCH_NAMESPACE);
          return seen?.name === 'Renamed lamp';
        },
        5_000,
        'the replica to show the rename',
      );
      expect(seen?.stock).toBe(first.stock + 7);
      // A catalog edit through the API drops the rankings: ranked afresh, the product is gone.
      await app.get(ProductsCache).changed([first.id], { listed: true });
      expect((await hits()).map((hit) => hit.id)).not.toContain(first.id);
    } finally {
      await db.primary
        .$executeRaw`UPDATE products SET name = ${first.name}, stock = ${first.stock} WHERE id = ${first.id}`;
      await app.get(ProductsCache).changed([first.id], { listed: true });
    }
  });

  it.each([
    ['quotes', '"unclosed \' quote'],
    ['operators', 'hammer & | ! <-> :* ( ) -'],
    ['SQL', "'; DROP TABLE products; --"],
    ['websearch syntax', '"steel hammer" or -wrench'],
    ['unicode', 'ハンマー 🔨 Ünïcödé'],
    ['backslashes', '\\\\x00 \\u0000'],
    ['only stop words', 'the and of'],
  ])('answers hostile input (%s) with 200', async (_label, q) => {
    const response = await search(q);
    expect(response.statusCode).toBe(200);
    expect(Array.isArray(response.json().data)).toBe(true);
  });

  it.each([
    ['10 KB', 'x'.repeat(10_240)],
    ['empty', ''],
    ['blank', '   '],
    ['NUL byte', 'ham\u0000mer'],
  ])('answers %s with 400', async (_label, q) => {
    const response = await search(q);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('query.q');
  });

  it('400 without q, and for a page past 50', async () => {
    expect((await app.inject({ method: 'GET', url: '/products/search' })).statusCode).toBe(400);
    expect((await search('hammer', '&page=51')).statusCode).toBe(400);
  });

  describe('lean payloads: sparse fieldsets, Link: rel="next"', () => {
    it('answers only the fields asked for, cached per field set', async () => {
      const response = await search('steel', '&limit=5&fields=score,id,name');
      expect(response.statusCode).toBe(200);
      const { data } = response.json();
      expect(data.length).toBeGreaterThan(0);
      expect(data.every((hit: object) => Object.keys(hit).join() === 'id,name,score')).toBe(true);
      const again = await search('steel', '&limit=5&fields=name,id,score');
      expect(again.headers['x-cache']).toBe('HIT');
      expect(again.json()).toEqual(response.json());
      const full = await search('steel', '&limit=5');
      expect(full.json().data[0].highlight).toContain('<mark>');
    });

    it('links the next page while there is one, and omits nextPage and Link on the last', async () => {
      const first = await search('steel', '&limit=10&fields=id');
      expect(nextLink(first)).toBe('/products/search?q=steel&limit=10&fields=id&page=2');
      const second = await app.inject({ method: 'GET', url: nextLink(first)! });
      expect(second.json().page).toBe(2);
      // Page 50 is the last there is, however many match.
      const last = await search('steel', '&limit=1&page=50&fields=id');
      expect(last.json().data).toHaveLength(1);
      expect(last.json()).not.toHaveProperty('nextPage');
      expect(last.headers.link).toBeUndefined();
    });

    it('400 for an unknown field, naming it', async () => {
      const response = await search('steel', '&fields=id,vector');
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0]).toMatchObject({
        field: 'query.fields',
        message: expect.stringContaining('unknown field(s): vector'),
      });
    });
  });
});
