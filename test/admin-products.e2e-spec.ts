import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ADMIN_EMAIL, createTestApp, login } from './support/test-app.js';

describe('admin products (e2e)', () => {
  let app: NestFastifyApplication;
  let admin: Record<string, string>;
  let customer: Record<string, string>;
  const sku = `ADM-${process.pid}-${Date.now() % 100000}`;

  beforeAll(async () => {
    app = await createTestApp();
    admin = await login(app, ADMIN_EMAIL);
    customer = await login(app, 'user42@example.com');
  });

  afterAll(async () => {
    await app?.close();
  });

  const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = admin) =>
    app.inject({ method, url, payload, headers });

  it.each([
    ['POST', '/products'],
    ['PATCH', '/products/1'],
    ['DELETE', '/products/1'],
  ] as const)('%s %s: 401 anonymous, 403 customer', async (method, url) => {
    expect((await app.inject({ method, url, payload: {} })).statusCode).toBe(401);
    expect((await send(method, url, {}, customer)).statusCode).toBe(403);
  });

  it('creates, updates and archives a product; each write refreshes the cache and returns a consistency token', async () => {
    const created = await send('POST', '/products', {
      sku,
      name: 'Admin Hammer',
      priceCents: 2599,
      categoryId: 1,
      stock: 3,
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['x-consistency-token']).toMatch(/^[0-9A-F]+\/[0-9A-F]+\.[\w-]{22}$/);
    const product = created.json();
    expect(product).toMatchObject({
      sku,
      name: 'Admin Hammer',
      priceCents: 2599,
      currency: 'USD',
      status: 'active',
      rating: { count: 0 },
    });
    // Nothing empty is sent: no average without reviews, no empty list of them.
    expect(product).not.toHaveProperty('latestReviews');
    expect(product.rating).not.toHaveProperty('average');

    // Cached at once (refresh-after-write): the first read is a hit with the new data.
    const read = await app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(read.headers['x-cache']).toBe('HIT');
    expect(read.json().name).toBe('Admin Hammer');

    const updated = await send('PATCH', `/products/${product.id}`, { priceCents: 1999, name: 'Admin Hammer II' });
    expect(updated.statusCode).toBe(200);
    expect(updated.headers['x-consistency-token']).toBeTruthy();
    const afterUpdate = await app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(afterUpdate.json()).toMatchObject({ priceCents: 1999, name: 'Admin Hammer II' });

    // A ?fields= view cached before the change must not survive it.
    await app.inject({ method: 'GET', url: `/products/${product.id}?fields=id,priceCents` });
    await send('PATCH', `/products/${product.id}`, { priceCents: 1499 });
    expect((await app.inject({ method: 'GET', url: `/products/${product.id}?fields=id,priceCents` })).json()).toEqual({
      id: product.id,
      priceCents: 1499,
    });

    const firstPage = await app.inject({ method: 'GET', url: '/products?limit=5' });
    expect(firstPage.json().data.map((p: { id: number }) => p.id)).toContain(product.id);

    const archived = await send('DELETE', `/products/${product.id}`);
    expect(archived.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/products/${product.id}` })).json().status).toBe('archived');
    const listed = await app.inject({ method: 'GET', url: '/products?limit=5' });
    expect(listed.json().data.map((p: { id: number }) => p.id)).not.toContain(product.id);
  });

  it('409 on a duplicate SKU, 422 on a missing category, 404 on a missing product', async () => {
    expect(
      (await send('POST', '/products', { sku: 'SKU-0000001', name: 'Dup', priceCents: 1, categoryId: 1 })).statusCode,
    ).toBe(409);
    const orphan = await send('POST', '/products', {
      sku: `${sku}-X`,
      name: 'Orphan',
      priceCents: 1,
      categoryId: 999_999,
    });
    expect(orphan.statusCode).toBe(422);
    expect(orphan.json().errors[0].field).toBe('body.categoryId');
    expect((await send('PATCH', '/products/2000000000', { stock: 1 })).statusCode).toBe(404);
  });

  it.each([
    ['negative price', { priceCents: -1 }, 'body.priceCents'],
    ['fractional stock', { stock: 1.5 }, 'body.stock'],
    ['bad currency', { currency: 'usd' }, 'body.currency'],
    ['empty change', {}, 'body'],
    ['unknown field', { cost: 1 }, 'body'],
    ['huge price', { priceCents: 1e20 }, 'body.priceCents'],
    ['string price', { priceCents: '100' }, 'body.priceCents'],
  ])('PATCH rejects %s with 400 and changes nothing', async (_label, payload, field) => {
    const before = (await app.inject({ method: 'GET', url: '/products/11' })).json();
    const response = await send('PATCH', '/products/11', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
    const after = (await app.inject({ method: 'GET', url: '/products/11' })).json();
    expect(after.updatedAt).toBe(before.updatedAt);
  });
});
