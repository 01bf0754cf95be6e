import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RouteOptions } from 'fastify';
import { createApp } from '../src/app.factory.js';
import { testConfig } from './support/test-app.js';

interface Operation {
  operationId?: string;
  summary?: string;
  responses?: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
}

describe('OpenAPI document', () => {
  let app: NestFastifyApplication;
  const routes: { method: string; url: string }[] = [];
  let spec: {
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes?: Record<string, unknown>; schemas: Record<string, { properties?: object }> };
  };

  beforeAll(async () => {
    app = await createApp(testConfig());
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route: RouteOptions) => {
        for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url! });
      });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  });

  afterAll(async () => {
    await app?.close();
  });

  // `/metrics` on the app port is an operator's fallback (OPS_PORT=0 + METRICS_TOKEN), not the public API.
  const apiRoutes = () =>
    routes.filter(
      (route) =>
        !route.url.startsWith('/docs') && route.url !== '/metrics' && !['head', 'options'].includes(route.method),
    );

  it('documents every route the app serves, with a summary and its answers', () => {
    expect(apiRoutes().length).toBeGreaterThanOrEqual(14);
    for (const { method, url } of apiRoutes()) {
      const path = url.replace(/:(\w+)/g, '{$1}');
      const operation = spec.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${url} is documented`).toBeDefined();
      expect(operation!.summary, `${method.toUpperCase()} ${url} has a summary`).toBeTruthy();
      expect(operation!.operationId, `${method.toUpperCase()} ${url} has a stable operation id`).toMatch(
        /^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/,
      );
      const statuses = Object.keys(operation!.responses ?? {});
      expect(
        statuses.some((status) => status.startsWith('2')),
        `${method.toUpperCase()} ${url} documents success`,
      ).toBe(true);
      // Every route can refuse a non-UTF-8 query or an unknown X-API-Key, and answer 503 when shutting down.
      expect(
        statuses.some((status) => status.startsWith('4')),
        `${method.toUpperCase()} ${url} documents its errors`,
      ).toBe(true);
    }
  });

  it('gives each operation its own id', () => {
    const ids = Object.values(spec.paths).flatMap((item) =>
      Object.values(item).map((operation) => operation.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['products.get', 'products.list', 'checkout.create', 'auth.login']));
  });

  it('references response schemas as components, and the shared Problem for every error', () => {
    const product = spec.paths['/products/{id}'].get.responses!;
    expect(product['200'].content!['application/json']).toEqual({
      schema: { $ref: '#/components/schemas/ProductDetail' },
    });
    for (const [status, response] of Object.entries(spec.paths['/checkout'].post.responses!)) {
      if (Number(status) < 400) continue;
      const schema = (response.content!['application/problem+json'] as { schema: { $ref: string } }).schema;
      expect(schema.$ref, status).toMatch(/^#\/components\/schemas\/(Problem|PaymentDeclined)$/);
    }
    expect(Object.keys(spec.paths['/checkout'].post.responses!)).toEqual(
      expect.arrayContaining(['201', '202', '400', '401', '402', '409', '413', '415', '422', '429', '503']),
    );
    expect(spec.components.schemas).toHaveProperty('Problem');
  });

  it('documents the headers the edge sends', () => {
    const headers = (path: string, method: string, status: string) =>
      Object.keys((spec.paths[path][method].responses![status] as { headers: object }).headers);
    expect(headers('/products/{id}', 'get', '200')).toEqual(
      expect.arrayContaining(['ETag', 'X-Cache', 'Cache-Control', 'RateLimit', 'RateLimit-Policy', 'X-Request-Id']),
    );
    expect(headers('/products/search', 'get', '429')).toEqual(expect.arrayContaining(['Retry-After', 'RateLimit']));
    expect(headers('/products', 'post', '201')).toContain('X-Consistency-Token');
    expect(headers('/health/live', 'get', '200')).not.toContain('RateLimit');
  });

  it('declares the bearer scheme on protected routes and problem+json errors', () => {
    expect(spec.components.securitySchemes).toHaveProperty('bearer');
    expect(spec.paths['/me'].get.security).toBeDefined();
    expect(spec.paths['/admin/orders'].get.responses!['403'].content).toHaveProperty('application/problem+json');
    expect(spec.paths['/products/{id}'].get.security).toBeUndefined();
  });

  it('serves the UI at /docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
  });

  it('describes query parameters and bodies from the validation schemas', () => {
    const parameters = (spec.paths['/products'].get as { parameters: { name: string }[] }).parameters.map(
      (parameter) => parameter.name,
    );
    expect(parameters).toEqual(
      expect.arrayContaining(['limit', 'cursor', 'sort', 'categoryId', 'minPrice', 'maxPrice', 'inStock', 'fields']),
    );
    const body = (
      spec.paths['/products'].post as unknown as {
        requestBody: { content: Record<string, { schema: { $ref: string } }> };
      }
    ).requestBody;
    const ref = body.content['application/json'].schema.$ref;
    expect(ref).toBe('#/components/schemas/ProductCreateRequest');
    expect(Object.keys(spec.components.schemas.ProductCreateRequest.properties!)).toEqual(
      expect.arrayContaining(['sku', 'name', 'priceCents', 'categoryId']),
    );
  });
});
