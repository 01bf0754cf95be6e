import { ADMIN_EMAIL, login, useTestApp } from './support/test-app.js';
import { nextLink } from './support/links.js';

describe('products (e2e)', () => {
  const t = useTestApp();

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  describe('GET /products/:id', () => {
    it('returns the product as stored', async () => {
      const { rows } = await t.sql.query(
        // One with reviews and a description: every field has something to carry.
        `SELECT id, sku, name, price_cents FROM products p
         WHERE description <> '' AND EXISTS (SELECT 1 FROM reviews r WHERE r.product_id = p.id)
         ORDER BY id LIMIT 1 OFFSET 41`,
      );
      const response = await get(`/products/${rows[0].id}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        id: rows[0].id,
        sku: rows[0].sku,
        name: rows[0].name,
        priceCents: rows[0].price_cents,
      });
      expect(Object.keys(response.json()).sort()).toEqual([
        'category',
        'categoryId',
        'createdAt',
        'currency',
        'description',
        'id',
        'latestReviews',
        'name',
        'priceCents',
        'rating',
        'sku',
        'status',
        'stock',
        'updatedAt',
      ]);
    });

    it('carries the category, the rating aggregate and the 5 latest reviews, as the database has them', async () => {
      const {
        rows: [top],
      } = await t.sql.query(
        `SELECT product_id AS id, round(avg(rating)::numeric, 2)::float8 AS average, count(*)::int AS count
         FROM reviews GROUP BY product_id ORDER BY count(*) DESC LIMIT 1`,
      );
      const { rows: latest } = await t.sql.query(
        'SELECT id FROM reviews WHERE product_id = $1 ORDER BY created_at DESC, id DESC LIMIT 5',
        [top.id],
      );
      const body = (await get(`/products/${top.id}`)).json();
      expect(body.rating).toEqual({ average: top.average, count: top.count });
      expect(body.latestReviews.map((review: { id: number }) => review.id)).toEqual(latest.map((row) => row.id));
      expect(body.category).toMatchObject({ id: body.categoryId, name: expect.any(String), slug: expect.any(String) });
    });

    it('returns only the ?fields= asked for, and 400 for an unknown one', async () => {
      const body = (await get('/products/7?fields=id,name,rating')).json();
      expect(Object.keys(body).sort()).toEqual(['id', 'name', 'rating']);
      const bad = await get('/products/7?fields=id,internalCost');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors[0]).toMatchObject({
        field: 'query.fields',
        message: expect.stringContaining('internalCost'),
      });
    });

    it('answers 404 problem+json for a missing product', async () => {
      const response = await get('/products/2147483647');
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 404, title: 'Not Found', instance: '/products/2147483647' });
    });

    it.each(['abc', '0', '-1', '1.5', '2147483648', '99999999999999999999', '1e3', '%00'])(
      'answers 400 for id %s',
      async (id) => {
        const response = await get(`/products/${id}`);
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ status: 400, errors: [{ field: 'params.id' }] });
      },
    );
  });

  describe('GET /products', () => {
    it('walks every active product exactly once, newest first', async () => {
      const { rows } = await t.sql.query<{ id: number }>(
        "SELECT id FROM products WHERE status = 'active' ORDER BY created_at DESC, id DESC",
      );
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const response = await get(`/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.statusCode).toBe(200);
        const page = response.json() as { data: { id: number; status: string }[]; nextCursor: string | null };
        expect(page.data.length).toBeLessThanOrEqual(100);
        seen.push(...page.data.map((product) => product.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(rows.map((row) => row.id));
    });

    it('defaults to 20 per page and says when there is more', async () => {
      const page = (await get('/products')).json();
      expect(page.data).toHaveLength(20);
      expect(typeof page.nextCursor).toBe('string');
    });

    async function walk(
      query: string,
    ): Promise<{ id: number; priceCents: number; categoryId: number; stock: number }[]> {
      const rows = [];
      let cursor: string | null = null;
      do {
        const response = await get(`/products?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.statusCode, response.body).toBe(200);
        rows.push(...response.json().data);
        cursor = response.json().nextCursor;
      } while (cursor);
      return rows;
    }

    it('filters by category, price range and stock, sorted by price, each row once', async () => {
      const { rows } = await t.sql.query(
        `SELECT id FROM products WHERE status = 'active' AND category_id = 2 AND price_cents BETWEEN 1000 AND 20000 AND stock > 0
         ORDER BY price_cents, id`,
      );
      const walked = await walk('categoryId=2&minPrice=1000&maxPrice=20000&inStock=true&sort=price_asc');
      expect(walked.map((product) => product.id)).toEqual(rows.map((row) => row.id));
      expect(rows.length).toBeGreaterThan(100);
    });

    it('sorts by price descending across pages', async () => {
      const walked = await walk('categoryId=5&sort=price_desc&fields=id,priceCents');
      for (let i = 1; i < walked.length; i++)
        expect(walked[i - 1].priceCents).toBeGreaterThanOrEqual(walked[i].priceCents);
      expect(Object.keys(walked[0]).sort()).toEqual(['id', 'priceCents']);
    });

    it('refuses a cursor made for another sort', async () => {
      const { nextCursor } = (await get('/products?sort=price_asc&limit=2')).json();
      const response = await get(`/products?sort=newest&cursor=${nextCursor}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].field).toBe('query.cursor');
    });

    it('keeps returning every row exactly once while rows are inserted during the walk', async () => {
      const { rows } = await t.sql.query(
        "SELECT id FROM products WHERE status = 'active' AND category_id = 3 ORDER BY created_at DESC, id DESC",
      );
      const seen: number[] = [];
      let cursor: string | null = null;
      let inserted = 0;
      do {
        const response = await get(`/products?categoryId=3&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...response.json().data.map((product: { id: number }) => product.id));
        cursor = response.json().nextCursor;
        // New products arrive at the head of the list, behind the walk: they must not shift it.
        await t.sql.query(
          `INSERT INTO products (sku, name, price_cents, category_id, stock, updated_at) VALUES ($1, 'Walk intruder', 100, 3, 1, now())`,
          [`WALK-${process.pid}-${inserted++}`],
        );
      } while (cursor);
      await t.sql.query(`DELETE FROM products WHERE sku LIKE 'WALK-${process.pid}-%'`);
      expect(seen).toEqual(rows.map((row) => row.id));
    });

    it.each([
      ['limit 0', 'limit=0', 'query.limit'],
      ['limit 101', 'limit=101', 'query.limit'],
      ['limit not a number', 'limit=ten', 'query.limit'],
      ['cursor not base64 JSON', 'cursor=not-a-cursor', 'query.cursor'],
      ['cursor with a bad id', `cursor=${Buffer.from('["2026-01-01",-4]').toString('base64url')}`, 'query.cursor'],
      ['cursor of 5,000 chars', `cursor=${'A'.repeat(5000)}`, 'query.cursor'],
      ['unknown parameter', 'color=red', 'query'],
      ['unknown sort', 'sort=cheapest', 'query.sort'],
      ['min above max', 'minPrice=500&maxPrice=100', 'query.minPrice'],
      ['category not an id', 'categoryId=abc', 'query.categoryId'],
      ['inStock not a boolean', 'inStock=yes', 'query.inStock'],
      ['unknown field', 'fields=id,secret', 'query.fields'],
    ])('answers 400 with field messages: %s', async (_label, query, field) => {
      const response = await get(`/products?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      const body = response.json();
      expect(body.errors[0].field).toBe(field);
      expect(body.errors[0].message).toEqual(expect.any(String));
    });
  });

  describe('lean payloads: nothing empty, sparse fieldsets, Link: rel="next"', () => {
    it('omits a missing description, an absent average and no latest reviews', async () => {
      const admin = await login(t.app, ADMIN_EMAIL);
      const sku = `LEAN-${process.pid}-${Date.now() % 1_000_000}`;
      const created = await t.app.inject({
        method: 'POST',
        url: '/products',
        headers: admin,
        payload: { sku, name: 'Lean mug', priceCents: 900, categoryId: 1 },
      });
      expect(created.statusCode, created.body).toBe(201);
      const { id } = created.json();
      for (const body of [created.json(), (await get(`/products/${id}`)).json()]) {
        expect(body).not.toHaveProperty('description');
        expect(body).not.toHaveProperty('latestReviews');
        expect(body.rating).toEqual({ count: 0 });
        expect(JSON.stringify(body)).not.toMatch(/null|""|\[\]/);
      }
      // A field asked for but empty stays absent.
      expect((await get(`/products/${id}?fields=id,description`)).json()).toEqual({ id });
      await t.app.inject({ method: 'DELETE', url: `/products/${id}`, headers: admin });
    });

    it('sends Link: rel="next", which leads to the next page with the same query', async () => {
      const first = await get('/products?limit=3&sort=price_asc&fields=id,priceCents');
      const link = nextLink(first);
      expect(link).toBe(`/products?limit=3&sort=price_asc&fields=id%2CpriceCents&cursor=${first.json().nextCursor}`);
      const second = await get(link!);
      expect(second.statusCode).toBe(200);
      const six = (await get('/products?limit=6&sort=price_asc&fields=id')).json().data;
      expect(second.json().data.map((product: { id: number }) => product.id)).toEqual(
        six.slice(3).map((product: { id: number }) => product.id),
      );
      expect(Object.keys(second.json().data[0]).sort()).toEqual(['id', 'priceCents']);
    });

    it('sends no Link and no nextCursor on the last page', async () => {
      const {
        rows: [{ max }],
      } = await t.sql.query("SELECT max(price_cents) AS max FROM products WHERE status = 'active'");
      const last = await get(`/products?minPrice=${max}`);
      expect(last.json().data.length).toBeGreaterThan(0);
      expect(last.json()).not.toHaveProperty('nextCursor');
      expect(last.headers.link).toBeUndefined();
    });

    it('keeps Link and the field set on cached answers (edge hits), one entry per field set', async () => {
      const url = `/products?limit=2&categoryId=3&fields=name,id`;
      const miss = await get(url);
      const hit = await get(url);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers.link).toBe(miss.headers.link);
      expect(hit.headers.link).toContain('fields=name%2Cid');
      expect(Object.keys(hit.json().data[0]).sort()).toEqual(['id', 'name']);
      // Another spelling of the same set shares the entry; another set does not.
      expect((await get('/products?limit=2&categoryId=3&fields=id,name')).headers['x-cache']).toBe('HIT');
      const other = await get('/products?limit=2&categoryId=3&fields=id');
      expect(other.headers['x-cache']).toBe('MISS');
      expect(Object.keys(other.json().data[0])).toEqual(['id']);
    });
  });

  it('answers unknown routes with a 404 problem and never a stack trace', async () => {
    const response = await get('/no/such/route');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).not.toMatch(/at .+\.(js|ts):\d+/);
  });
});
