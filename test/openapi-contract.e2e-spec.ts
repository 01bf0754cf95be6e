import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type pg from 'pg';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { CacheService } from '../src/cache/index.js';
import { CATEGORIES_NAMESPACE, CATEGORY_LIST_NAMESPACE } from '../src/categories/categories.cache.js';
import {
  PRODUCTS_NAMESPACE,
  PRODUCT_LISTS_NAMESPACE,
  PRODUCT_SEARCH_NAMESPACE,
} from '../src/products/products.cache.js';
import { nextLink } from './support/links.js';
import { ContractChecker, type OpenApiDocument } from './support/openapi-contract.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp } from './support/test-app.js';

/**
 * The OpenAPI document against the real app on the real services: every documented route is
 * called, with its successes and the errors it can give, and each response is checked (status
 * documented, body valid for that status and media type, required headers present).
 */
describe('OpenAPI contract (e2e: every documented route, real responses checked against the document)', () => {
  let app: NestFastifyApplication;
  let provider: FastifyInstance;
  const behaviour = { latencyMs: 0, failureRate: 0 };
  let contract: ContractChecker;
  let admin: Record<string, string>;
  let customer: Record<string, string>;
  let customerId: number;
  let sql: pg.Client;
  const run = `${process.pid}-${Date.now() % 1_000_000}`;
  let productId: number;

  beforeAll(async () => {
    provider = createFakeGateway(behaviour);
    app = await createTestApp({
      PAYMENT_GATEWAY_URL: await provider.listen({ port: 0, host: '127.0.0.1' }),
      DOCS_ENABLED: 'true',
    });
    sql = await connect();
    contract = new ContractChecker((await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument);
    // The cache Redis is shared: entries another checkout's run wrote (another response shape) must not answer here.
    const cache = app.get(CacheService);
    for (const namespace of [
      PRODUCTS_NAMESPACE,
      PRODUCT_LISTS_NAMESPACE,
      PRODUCT_SEARCH_NAMESPACE,
      CATEGORY_LIST_NAMESPACE,
      CATEGORIES_NAMESPACE,
    ])
      await cache.bumpNamespace(namespace);
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await provider?.close();
  });

  /** Sends a request, expects `status`, and checks the response against the document. */
  async function send(
    status: number,
    method: InjectOptions['method'] & string,
    url: string,
    options: InjectOptions = {},
  ) {
    const response = await app.inject({ ...options, method, url });
    expect(response.statusCode, `${method} ${url}: ${response.body.slice(0, 300)}`).toBe(status);
    expect(contract.check(method, url, response)).toEqual([]);
    return response;
  }
  const bearer = (response: { json: () => { accessToken: string } }) => ({
    authorization: `Bearer ${response.json().accessToken}`,
  });

  it('health probes', async () => {
    await send(200, 'GET', '/health/live');
    await send(200, 'GET', '/health/ready');
  });

  it('auth: register, verify, login, me, password reset and change', async () => {
    const email = `contract-${run}@example.com`;
    const accepted = await send(202, 'POST', '/auth/register', {
      payload: { email, password: 'password123', name: 'Contract Tester' },
    });
    const again = await send(202, 'POST', '/auth/register', {
      payload: { email, password: 'password123', name: 'Again' },
    });
    expect(again.body).toBe(accepted.body);
    await send(400, 'POST', '/auth/register', { payload: { email: 'nope', password: 'short' } });
    // Emailed tokens as the worker stores them (their SHA-256; accounts.e2e-spec.ts mails them for real).
    const {
      rows: [{ id: userId }],
    } = await sql.query<{ id: number }>('SELECT id FROM users WHERE email = $1', [email]);
    customerId = userId;
    const tokenFor = async (purpose: 'verify' | 'reset') => {
      const token = `contract-${purpose}-${run}`;
      await sql.query(
        `INSERT INTO account_tokens (user_id, purpose, token_hash, outbox_id, expires_at)
         VALUES ($1, $2, encode(sha256($3::bytea), 'hex'), -(SELECT count(*) + 1 + $4 FROM account_tokens), now() + interval '1 hour')`,
        [userId, purpose, token, Date.now()],
      );
      return token;
    };
    await send(400, 'POST', '/auth/verify', { payload: { token: 'not-a-token' } });
    await send(204, 'POST', '/auth/verify', { payload: { token: await tokenFor('verify') } });
    await send(202, 'POST', '/auth/password-reset', { payload: { email } });
    await send(202, 'POST', '/auth/password-reset', { payload: { email: `nobody-${run}@example.com` } });
    const reset = { token: await tokenFor('reset'), newPassword: 'password456' };
    await send(204, 'POST', '/auth/password-reset/confirm', { payload: reset });
    await send(400, 'POST', '/auth/password-reset/confirm', { payload: reset });
    await send(200, 'POST', '/auth/login', { payload: { email, password: 'password456' } });
    await send(401, 'POST', '/auth/login', { payload: { email, password: 'wrong-password' } });
    const session = bearer(await send(200, 'POST', '/auth/login', { payload: { email, password: 'password456' } }));
    await send(403, 'POST', '/auth/password', {
      payload: { currentPassword: 'wrong-password', newPassword: 'password123' },
      headers: session,
    });
    customer = bearer(
      await send(200, 'POST', '/auth/password', {
        payload: { currentPassword: 'password456', newPassword: 'password123' },
        headers: session,
      }),
    );
    await send(401, 'GET', '/me', { headers: session });
    admin = bearer(await send(200, 'POST', '/auth/login', { payload: { email: ADMIN_EMAIL, password: 'password' } }));
    await send(200, 'GET', '/me', { headers: customer });
    await send(401, 'GET', '/me');
    await send(415, 'POST', '/auth/login', { payload: 'email=a', headers: { 'content-type': 'text/plain' } });
  });

  /** Sends the request, expects a `Link: rel="next"`, and follows it (the next page must keep the contract too). */
  async function sendAndFollow(url: string, options: InjectOptions = {}) {
    const response = await send(200, 'GET', url, options);
    const next = nextLink(response);
    expect(next, `${url}: no Link rel="next"`).toBeDefined();
    await send(200, 'GET', next!, options);
    return response;
  }

  it('catalog reads: lists, search, detail, 304s, 400 and 404', async () => {
    const list = await sendAndFollow('/products?limit=5');
    await send(304, 'GET', '/products?limit=5', { headers: { 'if-none-match': String(list.headers.etag) } });
    // A cache hit answered at the edge carries its Link too.
    expect((await sendAndFollow('/products?limit=5')).headers['x-cache']).toBe('HIT');
    await sendAndFollow('/products?limit=5&fields=id,name');
    await send(400, 'GET', '/products?limit=0');
    await send(400, 'GET', '/products?fields=id,cost');
    await sendAndFollow('/products/search?q=hammer&limit=2');
    await send(200, 'GET', '/products/search?q=hammer&fields=id,score');
    await send(400, 'GET', '/products/search');
    const detail = await send(200, 'GET', '/products/1');
    await send(200, 'GET', '/products/1?fields=id,rating');
    await send(304, 'GET', '/products/1', { headers: { 'if-none-match': String(detail.headers.etag) } });
    await send(404, 'GET', '/products/2000000000');
    await send(400, 'GET', '/products/abc');
  });

  it('product writes (admin): create, conflict, 403, 413, 415, update', async () => {
    const body = { sku: `CT-${run}`, name: 'Contract Mug', priceCents: 1_250, categoryId: 1, stock: 100 };
    productId = (await send(201, 'POST', '/products', { payload: body, headers: admin })).json().id;
    await send(409, 'POST', '/products', { payload: body, headers: admin });
    await send(422, 'POST', '/products', {
      payload: { ...body, sku: `CU-${run}`, categoryId: 2_000_000_000 },
      headers: admin,
    });
    await send(403, 'POST', '/products', { payload: body, headers: customer });
    await send(401, 'POST', '/products', { payload: body });
    await send(400, 'POST', '/products', { payload: { ...body, priceCents: -1 }, headers: admin });
    await send(415, 'POST', '/products', { payload: 'x', headers: { ...admin, 'content-type': 'text/plain' } });
    await send(413, 'POST', '/products', {
      payload: JSON.stringify({ ...body, description: 'x'.repeat(1_100_000) }),
      headers: { ...admin, 'content-type': 'application/json' },
    });
    await send(200, 'PATCH', `/products/${productId}`, { payload: { name: 'Contract Mug II' }, headers: admin });
    await send(404, 'PATCH', '/products/2000000000', { payload: { name: 'Nobody' }, headers: admin });
  });

  it('categories: list, get, create, rename, move, and their refusals', async () => {
    const list = await send(200, 'GET', '/categories');
    await send(304, 'GET', '/categories', { headers: { 'if-none-match': String(list.headers.etag) } });
    await send(200, 'GET', '/categories/1');
    await send(404, 'GET', '/categories/2000000000');
    await send(400, 'GET', '/categories/abc');
    const create = (status: number, payload: object, headers = admin) =>
      send(status, 'POST', '/categories', { payload, headers });
    const parent = (await create(201, { name: `Contract ${run}` })).json();
    const child = (await create(201, { name: `Contract child ${run}`, parentId: parent.id })).json();
    await create(409, { name: `Contract ${run}` });
    await create(422, { name: `Contract orphan ${run}`, parentId: 2_000_000_000 });
    await create(400, { name: '' });
    await create(403, { name: `Contract no ${run}` }, customer);
    await create(401, { name: `Contract no ${run}` }, {});
    const update = (status: number, id: number, payload: object) =>
      send(status, 'PATCH', `/categories/${id}`, { payload, headers: admin });
    await update(200, child.id, { name: `Contract kid ${run}` });
    await update(409, parent.id, { parentId: child.id });
    await update(422, parent.id, { parentId: parent.id });
    await update(404, 2_000_000_000, { name: `Contract none ${run}` });
    await update(400, parent.id, {});
    await update(200, child.id, { parentId: null });
    await send(422, 'GET', '/products?categoryId=2000000000');
  });

  it('checkout: 201, replay, 202, 402, 409, 400; then orders, export and the dashboard', async () => {
    const checkout = (status: number, key: string | undefined, payload: object) =>
      send(status, 'POST', '/checkout', {
        payload,
        headers: { ...customer, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      });
    const order = { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' };
    const placed = await checkout(201, `ct-${run}-1`, order);
    const replayed = await checkout(201, `ct-${run}-1`, order);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    await checkout(402, `ct-${run}-2`, { ...order, paymentToken: 'tok_declined' });
    await checkout(409, `ct-${run}-3`, { ...order, items: [{ productId, quantity: 100 }] });
    await checkout(422, `ct-${run}-1`, { ...order, items: [{ productId, quantity: 2 }] });
    await checkout(400, undefined, order);
    behaviour.failureRate = 1;
    try {
      await checkout(202, `ct-${run}-4`, order);
    } finally {
      behaviour.failureRate = 0;
    }

    const orderId = placed.json().orderId as number;
    await send(200, 'GET', '/orders', { headers: customer });
    await send(200, 'GET', '/orders?fields=id,status', { headers: customer });
    await send(400, 'GET', '/orders?fields=id,owner', { headers: customer });
    await send(400, 'GET', '/orders', { headers: { ...customer, 'x-consistency-token': 'not a token' } });
    await send(200, 'GET', `/orders/${orderId}`, { headers: customer });
    await send(200, 'GET', `/orders/${orderId}?fields=id,items`, { headers: customer });
    await send(404, 'GET', '/orders/2000000000', { headers: customer });
    await sendAndFollow('/admin/orders?limit=5', { headers: admin });
    await send(200, 'GET', '/admin/orders?limit=5&fields=id,user', { headers: admin });
    await send(403, 'GET', '/admin/orders', { headers: customer });
    await send(200, 'GET', '/admin/orders/export?format=ndjson', { headers: admin });
    await send(200, 'GET', '/admin/orders/export?format=csv', { headers: admin });
    await send(400, 'GET', '/admin/orders/export?format=xml', { headers: admin });
    await send(200, 'GET', '/admin/analytics/dashboard', { headers: admin });
    // The role it has: no change, so the customer's token stays valid.
    await send(200, 'PATCH', `/admin/users/${customerId}`, { payload: { role: 'customer' }, headers: admin });
    await send(404, 'PATCH', '/admin/users/2000000000', { payload: { role: 'customer' }, headers: admin });
    await send(400, 'PATCH', `/admin/users/${customerId}`, { payload: { role: 'root' }, headers: admin });
    await send(403, 'PATCH', `/admin/users/${customerId}`, { payload: { role: 'admin' }, headers: customer });
  });

  it('order lifecycle: cancel, ship, deliver, refund; 400, 404, 409, 422', async () => {
    const place = async (key: string) =>
      (
        await send(201, 'POST', '/checkout', {
          payload: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
          headers: { ...customer, 'idempotency-key': key },
        })
      ).json() as { orderId: number; totalCents: number };
    const cancelled = await place(`ct-${run}-lc-1`);
    await send(200, 'POST', `/orders/${cancelled.orderId}/cancel`, { headers: customer });
    await send(409, 'POST', `/orders/${cancelled.orderId}/cancel`, { headers: customer });
    await send(404, 'POST', '/orders/2000000000/cancel', { headers: customer });
    await send(400, 'POST', '/orders/abc/cancel', { headers: customer });

    const { orderId, totalCents } = await place(`ct-${run}-lc-2`);
    await send(400, 'POST', `/orders/${orderId}/ship`, { headers: admin, payload: {} });
    await send(403, 'POST', `/orders/${orderId}/ship`, { headers: customer, payload: { trackingReference: 'T' } });
    await send(409, 'POST', `/orders/${orderId}/deliver`, { headers: admin });
    await send(200, 'POST', `/orders/${orderId}/ship`, { headers: admin, payload: { trackingReference: 'TRK-9' } });
    await send(200, 'POST', `/orders/${orderId}/deliver`, { headers: admin });
    await send(422, 'POST', `/orders/${orderId}/refund`, { headers: admin, payload: { amountCents: totalCents + 1 } });
    await send(202, 'POST', `/orders/${orderId}/refund`, { headers: admin, payload: {} });
    await send(409, 'POST', `/orders/${orderId}/refund`, { headers: admin, payload: { amountCents: 1 } });
    await send(404, 'POST', '/orders/2000000000/refund', { headers: admin, payload: {} });
  });

  it('reviews (after checkout: only buyers review): list, 403, create, one per user, 404', async () => {
    await send(200, 'GET', `/products/${productId}/reviews`);
    // The admin has not bought it (yet); the customer has (the checkout above).
    await send(403, 'POST', `/products/${productId}/reviews`, { payload: { rating: 3 }, headers: admin });
    await send(201, 'POST', `/products/${productId}/reviews`, {
      payload: { rating: 5, comment: 'Holds tea.' },
      headers: customer,
    });
    await send(409, 'POST', `/products/${productId}/reviews`, { payload: { rating: 4 }, headers: customer });
    await send(404, 'GET', '/products/2000000000/reviews');
    await send(404, 'POST', '/products/2000000000/reviews', { payload: { rating: 4 }, headers: customer });
    // The only review: the last page, no Link.
    expect((await send(200, 'GET', `/products/${productId}/reviews?limit=1`)).headers.link).toBeUndefined();
    await send(200, 'GET', `/products/${productId}/reviews?fields=id,user`);
    await send(400, 'GET', `/products/${productId}/reviews?fields=author`);
    await send(201, 'POST', '/checkout', {
      payload: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
      headers: { ...admin, 'idempotency-key': `ct-${run}-admin` },
    });
    const second = await send(201, 'POST', `/products/${productId}/reviews`, {
      payload: { rating: 3 },
      headers: admin,
    });
    // Two reviews now: page 1 of 2 links page 2 (read from where the write has reached).
    await sendAndFollow(`/products/${productId}/reviews?limit=1`, {
      headers: { 'x-consistency-token': String(second.headers['x-consistency-token']) },
    });
  });

  it('API keys: issue, list, limits (429), revoke (then 401), archive the product', async () => {
    const name = `contract-${run}`;
    const issued = await send(201, 'POST', '/admin/api-keys', {
      payload: { name, limits: { search: 1 } },
      headers: admin,
    });
    await send(409, 'POST', '/admin/api-keys', { payload: { name }, headers: admin });
    await send(200, 'GET', '/admin/api-keys?limit=5', { headers: admin });
    await sendAndFollow('/admin/api-keys?limit=1', { headers: admin });
    const key = { 'x-api-key': issued.json().key as string };
    await send(200, 'GET', '/products/search?q=contract', { headers: key });
    await send(429, 'GET', '/products/search?q=contract', { headers: key });
    await send(204, 'DELETE', `/admin/api-keys/${issued.json().id}`, { headers: admin });
    await send(404, 'DELETE', '/admin/api-keys/2000000000', { headers: admin });
    await send(401, 'GET', '/health/live', { headers: key });
    await send(204, 'DELETE', `/products/${productId}`, { headers: admin });
  });

  it('called every documented operation with a success', () => {
    const operations = Object.values(contract.document.paths).flatMap((item) => Object.values(item));
    const succeeded = new Set(
      [...contract.seen].filter((seen) => /\s2\d\d$/.test(seen)).map((seen) => seen.split(' ')[0]),
    );
    expect(operations.map((operation) => operation.operationId).filter((id) => !succeeded.has(id))).toEqual([]);
  });
});
