import type { InjectOptions } from 'fastify';
import type { Response as InjectResponse } from 'light-my-request';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, login, useTestApp } from './support/test-app.js';

interface Category {
  id: number;
  name: string;
  slug: string;
  /** Absent at the top of the tree. */
  parentId?: number;
  productCount: number;
  totalProductCount: number;
}

/**
 * GET /categories (flat, with parentId and counts of active products), admin create / rename / move,
 * the tree kept a tree by the database, the tag invalidation of the cached list and categories on
 * every write that changes them (categories, and products created, moved, archived), and the
 * product list refusing an unknown category.
 */
describe('categories (e2e: real Postgres, replicas, Redis cache)', () => {
  const context = useTestApp();
  let admin: Record<string, string>;
  let customer: Record<string, string>;
  /** The last write's consistency token: reads after it see it, from any replica. */
  let token: Record<string, string> = {};
  const run = `${process.pid}-${Date.now() % 1_000_000}`;

  beforeAll(async () => {
    admin = await login(context.app, ADMIN_EMAIL);
    customer = await login(context.app, 'user12@example.com');
  });

  async function send(method: InjectOptions['method'] & string, url: string, options: InjectOptions = {}) {
    const response = await context.app.inject({
      ...options,
      method,
      url,
      headers: { ...token, ...(options.headers as object) },
    });
    if (method !== 'GET' && response.headers['x-consistency-token'])
      token = { 'x-consistency-token': String(response.headers['x-consistency-token']) };
    return response;
  }
  const write = (method: 'POST' | 'PATCH', url: string, payload: unknown, headers = admin) =>
    send(method, url, { payload: payload as object, headers });
  const list = async () => {
    const response = await send('GET', '/categories');
    expect(response.statusCode, response.body).toBe(200);
    return { response, byId: new Map((response.json().data as Category[]).map((c) => [c.id, c])) };
  };
  const create = async (payload: object) => {
    const response = await write('POST', '/categories', payload);
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as Category;
  };
  const expectProblem = (response: InjectResponse, status: number, field?: string) => {
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
    if (field) expect(response.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  };

  /** Counts as SQL gives them: own active products, and with every descendant's. */
  async function countsFromSql(): Promise<Map<number, { own: number; total: number }>> {
    const { rows } = await context.sql.query<{ id: number; parent_id: number | null; own: number }>(`
      SELECT c.id, c.parent_id, (SELECT count(*)::int FROM products p WHERE p.category_id = c.id AND p.status = 'active') AS own
      FROM categories c`);
    const children = new Map<number, number[]>();
    for (const row of rows)
      if (row.parent_id !== null) children.set(row.parent_id, [...(children.get(row.parent_id) ?? []), row.id]);
    const own = new Map(rows.map((row) => [row.id, row.own]));
    const total = (id: number): number => own.get(id)! + (children.get(id) ?? []).reduce((sum, c) => sum + total(c), 0);
    return new Map(rows.map((row) => [row.id, { own: row.own, total: total(row.id) }]));
  }

  it('lists every category with its parent and the counts SQL gives, cached (MISS, then HIT, then 304)', async () => {
    await write('POST', '/categories', { name: `Warm-up ${run}` });
    const first = await list();
    const sql = await countsFromSql();
    expect(first.byId.size).toBe(sql.size);
    for (const [id, counts] of sql)
      expect(first.byId.get(id), `category ${id}`).toMatchObject({
        productCount: counts.own,
        totalProductCount: counts.total,
      });
    // Seeded categories have active products; the shape is the documented one.
    const seeded = first.byId.get(1)!;
    expect(seeded).toEqual({
      id: 1,
      name: expect.any(String),
      slug: expect.stringMatching(/^[a-z0-9-]+$/),
      productCount: expect.any(Number),
      totalProductCount: expect.any(Number),
    });
    expect(seeded.productCount).toBeGreaterThan(0);
    const again = await send('GET', '/categories');
    expect(again.headers['x-cache']).toBe('HIT');
    const notModified = await send('GET', '/categories', { headers: { 'if-none-match': String(again.headers.etag) } });
    expect(notModified.statusCode).toBe(304);
    expect((await send('GET', '/categories/1')).json()).toEqual(seeded);
    expect((await send('GET', '/categories/1')).headers['x-cache']).toBe('HIT');
  });

  it('creates (slug derived), renames and moves; each write drops the cached list and categories at once', async () => {
    await list();
    const parent = await create({ name: `Garden & Outdoor ${run}` });
    expect(parent).toEqual({
      id: expect.any(Number),
      name: `Garden & Outdoor ${run}`,
      slug: `garden-outdoor-${run}`,
      productCount: 0,
      totalProductCount: 0,
    });
    expect((await list()).byId.get(parent.id)).toEqual(parent);
    const child = await create({ name: `Sheds ${run}`, slug: `sheds-${run}`, parentId: parent.id });
    expect(child.parentId).toBe(parent.id);
    expect((await list()).byId.get(child.id)).toEqual(child);
    // A product in the child counts for it and for the parent's total.
    const product = await write('POST', '/products', {
      sku: `CAT-${run}`,
      name: 'Tool shed',
      priceCents: 50_000,
      categoryId: child.id,
    });
    expect(product.statusCode, product.body).toBe(201);
    let after = await list();
    expect(after.byId.get(child.id)).toMatchObject({ productCount: 1, totalProductCount: 1 });
    expect(after.byId.get(parent.id)).toMatchObject({ productCount: 0, totalProductCount: 1 });
    expect((await send('GET', `/categories/${parent.id}`)).json()).toMatchObject({ totalProductCount: 1 });

    const renamed = await write('PATCH', `/categories/${child.id}`, { name: `Garden sheds ${run}` });
    expect(renamed.statusCode, renamed.body).toBe(200);
    // A rename keeps the slug (links use it).
    expect(renamed.json()).toMatchObject({ name: `Garden sheds ${run}`, slug: `sheds-${run}` });
    expect((await list()).byId.get(child.id)!.name).toBe(`Garden sheds ${run}`);
    expect((await send('GET', `/categories/${child.id}`)).json().name).toBe(`Garden sheds ${run}`);

    // Move to the top level: the old parent's total drops.
    const moved = await write('PATCH', `/categories/${child.id}`, { parentId: null });
    expect(moved.json()).toMatchObject({ totalProductCount: 1 });
    expect(moved.json()).not.toHaveProperty('parentId');
    after = await list();
    expect(after.byId.get(child.id)).not.toHaveProperty('parentId');
    expect(after.byId.get(parent.id)).toMatchObject({ totalProductCount: 0 });
    expect((await send('GET', `/categories/${parent.id}`)).json()).toMatchObject({ totalProductCount: 0 });
  });

  it("drops cached counts when a product's category or status changes", async () => {
    const from = await create({ name: `From ${run}` });
    const to = await create({ name: `To ${run}` });
    const created = await write('POST', '/products', {
      sku: `CATMOVE-${run}`,
      name: 'Moving box',
      priceCents: 900,
      categoryId: from.id,
    });
    const productId = created.json().id as number;
    await list();
    await send('GET', `/categories/${from.id}`);
    expect((await send('GET', `/categories/${from.id}`)).headers['x-cache']).toBe('HIT');

    expect((await write('PATCH', `/products/${productId}`, { categoryId: to.id })).statusCode).toBe(200);
    let after = await list();
    expect(after.byId.get(from.id)!.productCount).toBe(0);
    expect(after.byId.get(to.id)!.productCount).toBe(1);
    expect((await send('GET', `/categories/${from.id}`)).json().productCount).toBe(0);

    // Archived products are not counted; restored ones are again.
    expect((await send('DELETE', `/products/${productId}`, { headers: admin })).statusCode).toBe(204);
    after = await list();
    expect(after.byId.get(to.id)!.productCount).toBe(0);
    expect((await write('PATCH', `/products/${productId}`, { status: 'active' })).statusCode).toBe(200);
    expect((await list()).byId.get(to.id)!.productCount).toBe(1);
  });

  it('refuses a cycle (409) and self-parenting (422); the database refuses one too', async () => {
    const a = await create({ name: `Tree A ${run}` });
    const b = await create({ name: `Tree B ${run}`, parentId: a.id });
    const c = await create({ name: `Tree C ${run}`, parentId: b.id });
    expectProblem(await write('PATCH', `/categories/${a.id}`, { parentId: c.id }), 409, 'body.parentId');
    expectProblem(await write('PATCH', `/categories/${a.id}`, { parentId: b.id }), 409, 'body.parentId');
    expectProblem(await write('PATCH', `/categories/${a.id}`, { parentId: a.id }), 422, 'body.parentId');
    expect((await list()).byId.get(a.id)).not.toHaveProperty('parentId');
    // Bypassing the API: the trigger and the CHECK.
    await expect(context.sql.query('UPDATE categories SET parent_id = $1 WHERE id = $2', [c.id, a.id])).rejects.toThrow(
      /descendant/,
    );
    await expect(context.sql.query('UPDATE categories SET parent_id = id WHERE id = $1', [a.id])).rejects.toMatchObject(
      {
        code: '23514',
      },
    );
    // A legal move still works: C to the top.
    const moved = await write('PATCH', `/categories/${c.id}`, { parentId: null });
    expect(moved.statusCode, moved.body).toBe(200);
  });

  it('two concurrent moves cannot close a loop together (the trigger serializes moves)', async () => {
    const a = await create({ name: `Race A ${run}` });
    const b = await create({ name: `Race B ${run}` });
    const other = await connect();
    try {
      await context.sql.query('BEGIN');
      await context.sql.query('UPDATE categories SET parent_id = $1 WHERE id = $2', [b.id, a.id]);
      // Under READ COMMITTED this one's snapshot predates the first's commit: only the lock saves it.
      await other.query('BEGIN');
      const second = other.query('UPDATE categories SET parent_id = $1 WHERE id = $2', [a.id, b.id]);
      const outcome = second.then(
        () => 'moved',
        (error: { code?: string }) => error.code,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await context.sql.query('COMMIT');
      expect(await outcome).toBe('23514');
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
    }
    const { rows } = await context.sql.query('SELECT id, parent_id FROM categories WHERE id = ANY($1) ORDER BY id', [
      [a.id, b.id],
    ]);
    expect(rows).toEqual([
      { id: a.id, parent_id: b.id },
      { id: b.id, parent_id: null },
    ]);
  });

  it('refuses bad input with problem+json and field messages', async () => {
    const existing = await create({ name: `Taken ${run}` });
    // Its own slug, so that only the name is taken (with both taken, Postgres names whichever index it checks first).
    expectProblem(await write('POST', '/categories', { name: `Taken ${run}`, slug: `free-${run}` }), 409, 'body.name');
    expectProblem(await write('POST', '/categories', { name: `Other ${run}`, slug: existing.slug }), 409, 'body.slug');
    expectProblem(await write('PATCH', `/categories/${existing.id}`, { name: `Warm-up ${run}` }), 409, 'body.name');
    expectProblem(
      await write('POST', '/categories', { name: `Orphan ${run}`, parentId: 2_000_000_000 }),
      422,
      'body.parentId',
    );
    expectProblem(
      await write('PATCH', `/categories/${existing.id}`, { parentId: 2_000_000_000 }),
      422,
      'body.parentId',
    );
    expectProblem(await write('PATCH', '/categories/2000000000', { name: `Nobody ${run}` }), 404);
    expectProblem(await send('GET', '/categories/2000000000'), 404);
    expectProblem(await send('GET', '/categories/abc'), 400, 'params.id');
    for (const [payload, field] of [
      [{}, 'body.name'],
      [{ name: '   ' }, 'body.name'],
      [{ name: 'x'.repeat(101) }, 'body.name'],
      [{ name: 'Tab\there' }, 'body.name'],
      [{ name: 42 }, 'body.name'],
      [{ name: '🦄🦄' }, 'body.slug'],
      [{ name: 'Fine', slug: 'Not A Slug' }, 'body.slug'],
      [{ name: 'Fine', slug: '-lead' }, 'body.slug'],
      [{ name: 'Fine', parentId: '1' }, 'body.parentId'],
      [{ name: 'Fine', parentId: 0 }, 'body.parentId'],
      [{ name: 'Fine', parentId: 1.5 }, 'body.parentId'],
      [{ name: 'Fine', role: 'admin' }, 'body'],
    ] as const)
      expectProblem(await write('POST', '/categories', payload), 400, field);
    expectProblem(await write('PATCH', `/categories/${existing.id}`, {}), 400, 'body');
    expectProblem(await write('POST', '/categories', { name: `Nope ${run}` }, customer), 403);
    expectProblem(await send('POST', '/categories', { payload: { name: `Nope ${run}` } }), 401);
    expect((await list()).byId.get(existing.id)).toEqual(existing);
  });

  it('refuses an unknown category in the product list (422, field message); an empty known one is an empty 200', async () => {
    const unknown = await send('GET', '/products?categoryId=2000000000');
    expectProblem(unknown, 422, 'query.categoryId');
    expectProblem(
      await send('GET', '/products?categoryId=2000000000&sort=price_asc&inStock=true'),
      422,
      'query.categoryId',
    );
    const empty = await create({ name: `Empty ${run}` });
    const response = await send('GET', `/products?categoryId=${empty.id}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().data).toEqual([]);
    const known = await send('GET', '/products?categoryId=1&limit=1');
    expect(known.statusCode).toBe(200);
    expect(known.json().data[0].categoryId).toBe(1);
  });
});
