import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RouteOptions } from 'fastify';
import { createApp } from '../src/app.factory.js';
import { testConfig } from './support/test-app.js';

interface Operation {
  summary?: string;
  responses?: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
}

describe('OpenAPI document', () => {
  let app: NestFastifyApplication;
  const routes: { method: string; url: string }[] = [];
  let spec: {
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes?: Record<string, unknown> };
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
      const statuses = Object.keys(operation!.responses ?? {});
      expect(
        statuses.some((status) => status.startsWith('2')),
        `${method.toUpperCase()} ${url} documents success`,
      ).toBe(true);
      // Probes take no input, so they have no client errors (readiness documents its 503).
      if (url.startsWith('/health/')) continue;
      expect(
        statuses.some((status) => status.startsWith('4')),
        `${method.toUpperCase()} ${url} documents its errors`,
      ).toBe(true);
    }
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
        requestBody: { content: Record<string, { schema: { properties: object } }> };
      }
    ).requestBody;
    expect(Object.keys(body.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['sku', 'name', 'priceCents', 'categoryId']),
    );
  });
});
