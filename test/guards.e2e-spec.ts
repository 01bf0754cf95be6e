import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp, login } from './support/test-app.js';

interface Operation {
  security?: unknown[];
  responses: Record<string, { description?: string }>;
}

/**
 * Every route the OpenAPI document marks as protected is tried anonymously (401) and, when it is
 * admin-only (its 403 says "Admins only"; a route may refuse customers a 403 of its own, such as a
 * review by someone who did not buy the product), as a customer (403). New routes are covered as soon as they exist.
 */
describe('guards on every private route', () => {
  let app: NestFastifyApplication;
  let customer: Record<string, string>;
  let operations: { method: string; url: string; admin: boolean }[];

  beforeAll(async () => {
    app = await createTestApp();
    customer = await login(app, 'user9@example.com');
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.security)
        .map(([method, operation]) => ({
          method: method.toUpperCase(),
          url: path.replace(/\{\w+\}/g, '1'),
          admin: operation.responses['403']?.description?.includes('Admins only') ?? false,
        })),
    );
  });

  afterAll(async () => {
    await app?.close();
  });

  it('finds the private and the admin routes', () => {
    expect(operations.length).toBeGreaterThanOrEqual(12);
    expect(operations.filter((operation) => operation.admin).length).toBeGreaterThanOrEqual(8);
    // The category admin routes, listed from the document like every other.
    expect(operations).toEqual(
      expect.arrayContaining([
        { method: 'POST', url: '/categories', admin: true },
        { method: 'PATCH', url: '/categories/1', admin: true },
      ]),
    );
    expect(operations.some((operation) => operation.url.startsWith('/categories') && operation.method === 'GET')).toBe(
      false,
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
});
