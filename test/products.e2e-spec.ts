import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { connect } from './support/sql.js';
import { createTestApp } from './support/test-app.js';

describe('products (e2e)', () => {
  let app: NestFastifyApplication;
  let sql: pg.Client;

  beforeAll(async () => {
    app = await createTestApp();
    sql = await connect();
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });

  describe('GET /products/:id', () => {
    it('returns the product as stored', async () => {
      const { rows } = await sql.query('SELECT id, sku, name, price_cents FROM products ORDER BY id LIMIT 1 OFFSET 41');
      const response = await get(`/products/${rows[0].id}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: rows[0].id, sku: rows[0].sku, name: rows[0].name, priceCents: rows[0].price_cents });
      expect(Object.keys(response.json()).sort()).toEqual(
        ['categoryId', 'createdAt', 'currency', 'description', 'id', 'name', 'priceCents', 'sku', 'status', 'stock', 'updatedAt'],
      );
    });

    it('answers 404 problem+json for a missing product', async () => {
      const response = await get('/products/2147483647');
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 404, title: 'Not Found', instance: '/products/2147483647' });
    });

    it.each(['abc', '0', '-1', '1.5', '2147483648', '99999999999999999999', '1e3', '%00'])('answers 400 for id %s', async (id) => {
      const response = await get(`/products/${id}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ status: 400, errors: [{ field: 'params.id' }] });
    });
  });

  describe('GET /products', () => {
    it('walks every active product exactly once, newest first', async () => {
      const { rows } = await sql.query<{ id: number }>(
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

    it.each([
      ['limit 0', 'limit=0', 'query.limit'],
      ['limit 101', 'limit=101', 'query.limit'],
      ['limit not a number', 'limit=ten', 'query.limit'],
      ['cursor not base64 JSON', 'cursor=not-a-cursor', 'query.cursor'],
      ['cursor with a bad id', `cursor=${Buffer.from('["2026-01-01",-4]').toString('base64url')}`, 'query.cursor'],
      ['cursor of 5,000 chars', `cursor=${'A'.repeat(5000)}`, 'query.cursor'],
      ['unknown parameter', 'color=red', 'query'],
    ])('answers 400 with field messages: %s', async (_label, query, field) => {
      const response = await get(`/products?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      const body = response.json();
      expect(body.errors[0].field).toBe(field);
      expect(body.errors[0].message).toEqual(expect.any(String));
    });
  });

  it('answers unknown routes with a 404 problem and never a stack trace', async () => {
    const response = await get('/no/such/route');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).not.toMatch(/at .+\.(js|ts):\d+/);
  });
});
