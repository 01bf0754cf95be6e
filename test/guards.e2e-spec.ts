import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { registerVerified } from './support/accounts.js';
import { connect } from './support/sql.js';
import { createTestApp, login } from './support/test-app.js';

interface Operation {
  security?: unknown[];
  responses: Record<string, { description?: string }>;
}

/**
 * Every route the OpenAPI document marks as protected is tried anonymously (401), with a revoked
 * token (401), and, when it is admin-only (its 403 says "Admins only"; a route may refuse customers
 * a 403 of its own, such as a review by someone who did not buy the product), as a customer (403);
 * routes that need a verified address (their 403 says so) as an unverified customer (403, before
 * the body is read). New routes are covered as soon as they exist.
 */
describe('guards on every private route', () => {
  let app: NestFastifyApplication;
  let customer: Record<string, string>;
  let unverified: Record<string, string>;
  let revokedAdmin: Record<string, string>;
  let sql: pg.Client;
  let operations: { method: string; url: string; admin: boolean; verified: boolean }[];

  beforeAll(async () => {
    app = await createTestApp();
    sql = await connect();
    customer = await login(app, 'user9@example.com');
    // A sign-up that never followed its email.
    const email = `guards-unverified-${process.pid}-${Date.now()}@example.com`;
    await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: 'long enough', name: 'U' } });
    unverified = await login(app, email, 'long enough');
    // An admin whose token version moved on after this token was issued (as a password change does).
    const admin = await registerVerified(app, sql);
    await sql.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.userId]);
    revokedAdmin = await login(app, admin.email, admin.password);
    await sql.query('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [admin.userId]);
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.security)
        .map(([method, operation]) => ({
          method: method.toUpperCase(),
          url: path.replace(/\{\w+\}/g, '1'),
          admin: /Admins only/.test(operation.responses['403']?.description ?? ''),
          verified: /not verified/.test(operation.responses['403']?.description ?? ''),
        })),
    );
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
  });

  it('finds the private and the admin routes', () => {
    expect(operations.length).toBeGreaterThanOrEqual(12);
    expect(operations.filter((operation) => operation.admin).length).toBeGreaterThanOrEqual(8);
    // The category admin routes, listed from the document like every other.
    expect(operations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST', url: '/categories', admin: true }),
        expect.objectContaining({ method: 'PATCH', url: '/categories/1', admin: true }),
      ]),
    );
    expect(operations.some((operation) => operation.url.startsWith('/categories') && operation.method === 'GET')).toBe(
      false,
    );
    expect(operations.filter((operation) => operation.verified).map(({ method, url }) => `${method} ${url}`)).toEqual(
      expect.arrayContaining(['POST /checkout', 'POST /products/1/reviews']),
    );
  });

  it('answers 401 problem+json to anonymous callers on every private route', async () => {
    for (const { method, url } of operations) {
      const response = await app.inject({ method: method as 'GET', url, payload: method === 'GET' ? undefined : {} });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.headers['content-type'], `${method} ${url}`).toContain('application/problem+json');
    }
  });

  it('answers 403 to customers on every admin route', async () => {
    for (const { method, url } of operations.filter((operation) => operation.admin)) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: customer,
        payload: method === 'GET' ? undefined : {},
      });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it('answers 401 to a revoked token on every private route (its user is an admin)', async () => {
    // The token's user is not in the cache yet: each instance reads the version once, then from memory.
    for (const { method, url } of operations) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: revokedAdmin,
        payload: method === 'GET' ? undefined : {},
      });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.json().detail, `${method} ${url}`).toMatch(/revoked/);
    }
  });

  it('answers 403 email-not-verified to an unverified customer where a verified address is needed', async () => {
    for (const { method, url } of operations.filter((operation) => operation.verified)) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { ...unverified, 'idempotency-key': `guards-${Date.now()}` },
        payload: method === 'GET' ? undefined : {},
      });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.json().type, `${method} ${url}`).toBe('https://store-api.dev/problems/email-not-verified');
    }
    // Elsewhere the unverified customer is a customer like any other.
    expect((await app.inject({ method: 'GET', url: '/me', headers: unverified })).statusCode).toBe(200);
  });
});
