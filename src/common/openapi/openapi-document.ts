import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import {
  DECORATORS,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ResponseObject,
} from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { AUTHENTICATED } from '../../auth/auth.constants.js';
import type { AuthenticatedOptions } from '../../auth/authenticated.decorator.js';
import { routePolicyIn, type RoutePolicy } from '../../edge/route-policy.js';
import { PROBLEM_CONTENT_TYPE } from '../http/problem-details.js';
import { PROBLEM_BASE } from '../http/problem.exception.js';
import { validationProblemExample } from './contract.js';
import { REQUEST_HEADERS, responseHeaders, type RequestHeader, type ResponseHeader } from './http-headers.js';
import { API_WRITES, contractComponents, zodSchemaConverter } from './zod-openapi.js';

/** What a route does at the edge, read from the same metadata the edge reads (`attachRoutePolicies`). */
interface RouteFacts {
  policy: RoutePolicy;
  admin: boolean;
  writes: boolean;
}

/** Why any route of a kind can answer each problem status. */
const SHARED_PROBLEMS: Record<number, string> = {
  400: 'Invalid input: a field (see `errors`), a query string that is not UTF-8, a malformed X-Consistency-Token',
  401: 'No valid access token where one is needed, or an unknown or revoked X-API-Key',
  403: 'Admins only',
  413: 'The body is over the size limit (HTTP_BODY_LIMIT_BYTES, after decompression)',
  415: 'The body is not JSON in UTF-8',
  429: 'Over a rate limit: see Retry-After and RateLimit',
  503: 'Shutting down, the database or the rate limiter unavailable: retry after Retry-After',
};

/**
 * The OpenAPI 3.1 document: operations from the controllers' decorators, schemas from the zod
 * contracts (`components.schemas`, by `$ref`), and what the edge adds to every route of a kind —
 * problem answers, rate-limit, cache and consistency headers, the request headers it reads —
 * derived from the route's own policy, so the document cannot drift from what the edge does.
 * Call after `installHttpEdge` (which attaches the policies).
 */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('store-api')
    .setDescription(
      'Store API: catalog, search, reviews, orders, checkout. Errors are application/problem+json (RFC 9457). ' +
        'Writes answer with X-Consistency-Token; send it back to read your writes from the replicas. ' +
        'Every response carries X-Request-Id (and X-Content-Type-Options: nosniff, Strict-Transport-Security, ' +
        'X-Frame-Options: DENY, Cross-Origin-Resource-Policy); rate-limited routes carry RateLimit and RateLimit-Policy. ' +
        'Bodies over 1 KB are compressed (br, gzip) when the client accepts it.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config, { standardSchemaConverter: zodSchemaConverter });
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...contractComponents() },
    parameters: { ...REQUEST_HEADERS },
  };
  const operations = new Map<string, OperationObject>();
  for (const item of Object.values(document.paths))
    for (const operation of Object.values(item) as OperationObject[])
      if (operation?.operationId) operations.set(operation.operationId, operation);
  for (const [operationId, facts] of routeFacts(app)) {
    const operation = operations.get(operationId);
    if (operation) complete(operation, facts);
  }
  return document;
}

function routeFacts(app: NestFastifyApplication): Map<string, RouteFacts> {
  const reflector = app.get(Reflector);
  const scanner = app.get(MetadataScanner);
  const facts = new Map<string, RouteFacts>();
  for (const { instance, metatype } of app.get(DiscoveryService).getControllers()) {
    if (!instance || !metatype) continue;
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as () => unknown;
      const operationId = (Reflect.getMetadata(DECORATORS.API_OPERATION, handler) as { operationId?: string })
        ?.operationId;
      const policy = routePolicyIn(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler));
      if (!operationId || !policy) continue;
      const targets = [handler, metatype];
      facts.set(operationId, {
        policy,
        admin: reflector.getAllAndOverride<AuthenticatedOptions | undefined>(AUTHENTICATED, targets)?.admin ?? false,
        writes: reflector.getAllAndOverride<boolean>(API_WRITES, targets) ?? false,
      });
    }
  }
  return facts;
}

function complete(operation: OperationObject, { policy, admin, writes }: RouteFacts): void {
  const reads: RequestHeader[] = ['X-Request-Id', 'X-Consistency-Token', 'X-API-Key'];
  if (policy.cacheable) reads.push('If-None-Match');
  operation.parameters = [
    ...(operation.parameters ?? []),
    ...reads.map((name) => ({ $ref: `#/components/parameters/${name}` })),
  ];

  const limited = policy.limits.length > 0;
  const problems = [400, 401, 503];
  if (admin) problems.push(403);
  if (operation.requestBody) problems.push(413, 415);
  if (limited) problems.push(429);
  const responses = operation.responses as Record<string, ResponseObject>;
  for (const status of problems) responses[status] = withProblem(responses[status], status);

  for (const [key, response] of Object.entries(responses)) {
    const status = Number(key);
    const success = status < 400;
    const headers: Partial<Record<ResponseHeader, boolean>> = { 'X-Request-Id': true };
    // Counted before anything else answers, but after a shutdown or a non-UTF-8 query is refused.
    if (limited) headers.RateLimit = headers['RateLimit-Policy'] = success || status === 429;
    if (status === 429 || status === 503) headers['Retry-After'] = problemOnly(response);
    if (policy.cacheable && (status === 200 || status === 304))
      Object.assign(headers, { ETag: true, 'X-Cache': true, 'Cache-Control': true });
    if (policy.authenticated && success && status !== 304) headers['Cache-Control'] = true;
    if (writes && status >= 200 && status < 300) headers['X-Consistency-Token'] = true;
    if (policy.paginated && status === 200) headers.Link = false;
    response.headers = { ...responseHeaders(headers), ...response.headers };
    const problem = response.content?.[PROBLEM_CONTENT_TYPE];
    if (problem) problem.example ??= problemExample(status, response.description);
  }
}

/** The response with the `Problem` document among its contents (kept first if the route declared its own). */
function withProblem(response: ResponseObject | undefined, status: number): ResponseObject {
  const content = { ...response?.content };
  content[PROBLEM_CONTENT_TYPE] ??= { schema: { $ref: '#/components/schemas/Problem' } };
  const description = [response?.description, SHARED_PROBLEMS[status]].filter(Boolean).join('; ');
  return { ...response, description, content };
}

/** Retry-After comes with the problem document; another content (the readiness report) answers without it. */
function problemOnly(response: ResponseObject): boolean {
  return Object.keys(response.content ?? {}).every((type) => type === PROBLEM_CONTENT_TYPE);
}

function problemExample(status: number, description: string) {
  if (status === 400) return validationProblemExample;
  const title = STATUS_CODES[status] ?? 'Error';
  return {
    type: `${PROBLEM_BASE}${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    title,
    status,
    detail: description.split(';')[0],
    instance: '/products/42',
  };
}
