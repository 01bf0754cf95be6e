import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { CacheService } from '../src/cache/index.js';
import { Db } from '../src/database/index.js';
import { PRODUCT_SUMMARIES_NAMESPACE as PRODUCT_SUMMARIES } from '../src/products/products.cache.js';
import { USER_SUMMARIES_NAMESPACE as USER_SUMMARIES } from '../src/users/users.cache.js';
import { nextLink } from './support/links.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp, login } from './support/test-app.js';

describe('orders, read side (e2e)', () => {
  let app: NestFastifyApplication;
  let sql: pg.Client;
  let db: Db;
  let busiest: { id: number; email: string; orders: number };
  let customer: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    // Statement counts are global: no readiness probes (a SELECT per pool each second) in between.
    app = await createTestApp({ HEALTH_PROBE_INTERVAL_MS: '60000' });
    db = app.get(Db);
    sql = await connect();
    const { rows } = await sql.query(
      `SELECT u.id, u.email, count(*)::int AS orders FROM orders o JOIN users u ON u.id = o.user_id GROUP BY u.id ORDER BY count(*) DESC LIMIT 1`,
    );
    busiest = rows[0];
    customer = await login(app, busiest.email);
    admin = await login(app, ADMIN_EMAIL);
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
  });

  const get = (url: string, headers: Record<string, string> = customer) => app.inject({ method: 'GET', url, headers });
  const statements = () => db.snapshot().queries.reduce((sum, row) => sum + row.count, 0);

  it.each(['/orders', '/orders/1', '/admin/orders'])('%s: 401 without a token', async (url) => {
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401);
  });

  it('/admin/orders: 403 for a customer', async () => {
    expect((await get('/admin/orders')).statusCode).toBe(403);
  });

  it.each([10, 50, 100])(
    'lists %i orders with their items and products in at most 3 SQL statements, cold cache',
    async (limit) => {
      expect(busiest.orders).toBeGreaterThanOrEqual(100);
      await app.get(CacheService).bumpNamespace(PRODUCT_SUMMARIES);
      const before = statements();
      const response = await get(`/orders?limit=${limit}`);
      const used = statements() - before;
      expect(response.statusCode).toBe(200);
      const { data } = response.json();
      expect(data).toHaveLength(limit);
      expect(data.every((order: { userId: number }) => order.userId === busiest.id)).toBe(true);
      expect(data.flatMap((order: { items: unknown[] }) => order.items).length).toBeGreaterThan(limit);
      expect(used, `${used} statements for ${limit} orders`).toBeLessThanOrEqual(3);
    },
  );

  it('returns each order with exactly its items and product summaries', async () => {
    const { data } = (await get('/orders?limit=5')).json();
    const first = data[0];
    const { rows } = await sql.query(
      `SELECT oi.product_id, oi.quantity, oi.unit_price_cents, p.name FROM order_items oi JOIN products p ON p.id = oi.product_id
       WHERE oi.order_id = $1 ORDER BY oi.id`,
      [first.id],
    );
    expect(first.items).toEqual(
      rows.map((row) => ({
        productId: row.product_id,
        quantity: row.quantity,
        unitPriceCents: row.unit_price_cents,
        product: expect.objectContaining({ id: row.product_id, name: row.name }),
      })),
    );
  });

  it("walks every one of the caller's orders exactly once", async () => {
    const { rows } = await sql.query('SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC', [
      busiest.id,
    ]);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: number }[]; nextCursor: string | null } = (
        await get(`/orders?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...page.data.map((order) => order.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(rows.map((row) => row.id));
  });

  it("answers another customer's order with 404, and shows it to an admin", async () => {
    const { rows } = await sql.query('SELECT id FROM orders WHERE user_id <> $1 LIMIT 1', [busiest.id]);
    expect((await get(`/orders/${rows[0].id}`)).statusCode).toBe(404);
    expect((await get('/orders/2000000000')).statusCode).toBe(404);
    const seenByAdmin = await get(`/orders/${rows[0].id}`, admin);
    expect(seenByAdmin.statusCode).toBe(200);
    expect(seenByAdmin.json().id).toBe(rows[0].id);
  });

  it('lets an admin filter all orders by status and user, each with who placed it', async () => {
    await app.get(CacheService).bumpNamespace(USER_SUMMARIES);
    const before = statements();
    const response = await get(`/admin/orders?status=payment_failed&limit=50`, admin);
    expect(statements() - before).toBeLessThanOrEqual(4);
    const { data } = response.json();
    expect(data.length).toBeGreaterThan(0);
    expect(
      data.every(
        (order: { status: string; user: { id: number; name: string } }) =>
          order.status === 'payment_failed' && order.user.name,
      ),
    ).toBe(true);
    const mine = (await get(`/admin/orders?userId=${busiest.id}&limit=10`, admin)).json();
    expect(mine.data.every((order: { userId: number }) => order.userId === busiest.id)).toBe(true);
    expect((await get('/admin/orders?status=lost', admin)).statusCode).toBe(400);
  });

  describe('lean payloads: sparse fieldsets, Link: rel="next"', () => {
    it('follows Link from page to page to the last, which has neither Link nor nextCursor', async () => {
      const { rows } = await sql.query('SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC', [
        busiest.id,
      ]);
      const seen: number[] = [];
      let url: string | undefined = '/orders?limit=40&fields=id';
      let last;
      while (url) {
        last = await get(url);
        expect(last.statusCode, last.body).toBe(200);
        seen.push(...last.json().data.map((order: { id: number }) => order.id));
        url = nextLink(last);
        if (url) expect(url).toBe(`/orders?limit=40&fields=id&cursor=${last.json().nextCursor}`);
      }
      expect(seen).toEqual(rows.map((row) => row.id));
      expect(last!.json()).not.toHaveProperty('nextCursor');
    });

    it('answers only the fields asked for, without the items query when items are not asked for', async () => {
      const before = statements();
      const { data } = (await get('/orders?limit=50&fields=totalCents,id,status')).json();
      expect(statements() - before).toBe(1);
      expect(data).toHaveLength(50);
      expect(data.every((order: object) => Object.keys(order).join() === 'id,status,totalCents')).toBe(true);
      const [{ id }] = data;
      expect((await get(`/orders/${id}?fields=id,items`)).json()).toEqual({
        id,
        items: expect.arrayContaining([expect.objectContaining({ productId: expect.any(Number) })]),
      });
      const admins = await get('/admin/orders?limit=2&fields=id,user', admin);
      expect(admins.json().data.every((order: object) => Object.keys(order).join() === 'id,user')).toBe(true);
      expect(nextLink(admins)).toBe(`/admin/orders?limit=2&fields=id%2Cuser&cursor=${admins.json().nextCursor}`);
    });

    it.each(['/orders?fields=id,secret', '/orders/1?fields=password', '/admin/orders?fields=items,email'])(
      '%s: 400 naming the unknown field',
      async (url) => {
        const response = await get(url, admin);
        expect(response.statusCode).toBe(400);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().errors).toEqual([
          {
            field: 'query.fields',
            message: expect.stringMatching(/^unknown field\(s\): (secret|password|email);/),
          },
        ]);
      },
    );
  });
});
