import fastifyCompress from '@fastify/compress';
import fastifyCors from '@fastify/cors';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import type { onSendHookHandler } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { constants as zlib } from 'node:zlib';
import { QUEUE_BOARD_PATH, QueueBoard } from '../admin/queue-board.js';
import { ApiKeysService } from '../api-keys/index.js';
import { AuthService } from '../auth/auth.service.js';
import { CacheFastPath, notModifiedPayload } from '../cache/index.js';
import { chosenStatusOnSend } from '../common/http/index.js';
import { registerBodyParsers } from '../common/http/body-parsers.js';
import type { AppConfigValues } from '../config/index.js';
import { AccessLog } from '../logging/access-log.js';
import { accessLogger } from '../logging/logger-params.js';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { CHARGES_QUEUE, EMAILS_QUEUE, REFUNDS_QUEUE } from '../queues/queues.constants.js';
import { RateLimitService } from '../rate-limit/index.js';
import { ClientIdentities } from './client-identity.js';
import { HttpEdge } from './http-edge-hooks.js';
import { nextLinkPreSerialization } from './next-link-header.js';
import { closeHttp2SessionsOnClose, withoutConnectionHeaders } from './server-protocol.js';
import { attachRoutePolicies, routePolicyIn } from './route-policy.js';

/** Headers browsers may read from cross-origin responses. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'X-Consistency-Token',
  'ETag',
  'X-Cache',
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'Idempotent-Replayed',
  'Link',
];

/**
 * The HTTP edge: every hook and plugin the API adds to Fastify, installed here and nowhere else,
 * in the order a request meets them. Modules provide what is called (the limiter's `consume`,
 * the cache's fast path, the metrics and the access log); decorators' metadata is read once per
 * route at start-up (`attachRoutePolicies`). Call before `app.init()`.
 *
 * A request's life:
 *  1. Fastify: request id (`genReqId`), route match; Nest's security headers; CORS (its plugin
 *     answers preflights).
 *  2. onRequest (`HttpEdge.onRequest`), in this order: the request id echoed; once shutting
 *     down, a 503; a query string that is not UTF-8 refused (400); who is calling (user ⟶ API
 *     key ⟶ IP); each of the route's rate-limit policies counted (429 / 503 here); an unknown API
 *     key refused (401) — after counting, so guessing keys spends the guesser's own budget; a
 *     fresh cache hit of a public `@Cacheable` GET answered (200, or 304 for its ETag) — nothing
 *     after this runs for it but steps 5–6.
 *  3. Body read (inflated by @fastify/compress) and parsed: JSON in UTF-8 only, else 400 / 415.
 *  4. preHandler (`HttpEdge.preHandler`): the request's log context (its `reqId` on every line),
 *     then Nest: guards (`@Authenticated`), interceptors (consistency, cache), pipes, handler.
 *  5. preSerialization, on `@Paginated` routes: `Link: rel="next"` from the body's next page
 *     (cache hits of step 2 get it from the cached value). onSend, on the routes that need it:
 *     a 304 for a cached ETag match (`@Cacheable`),
 *     `private, no-store` (`@Authenticated`); then compression (brotli/gzip over 1 KB). With
 *     HTTP2 on, first on every response: HTTP/1.1's connection headers removed from h2 ones.
 *  6. onResponse (`HttpEdge.onResponse`): metrics, the access log; once shutting down, idle
 *     connections are closed as each response ends (a keep-alive socket would hold the process).
 * Bull Board's scope adds its own admin check (`QueueBoard.authorize`) after step 2.
 */
export async function installHttpEdge(app: NestFastifyApplication, config: AppConfigValues): Promise<void> {
  attachRoutePolicies(app);
  const fastify = app.getHttpAdapter().getInstance();
  const auth = app.get(AuthService);
  const limits = app.get(RateLimitService);
  const edge = new HttpEdge(
    new ClientIdentities(auth, app.get(ApiKeysService)),
    limits,
    app.get(CacheFastPath),
    app.get(HttpMetrics),
    new AccessLog(accessLogger(config), {
      everyRequest: config.LOG_REQUESTS,
      slowMs: config.HTTP_SLOW_REQUEST_MS,
      hitsOneIn: config.LOG_CACHE_HITS_ONE_IN,
    }),
    await app.resolve(PinoLogger),
    // HTTP/1.1 connections only (an h2c server has none); h2 sessions get a GOAWAY from close().
    () => fastify.server.closeIdleConnections?.(),
  );
  // Nest's own, resolved once; its request hook runs before ours, so every response carries them.
  // The ones that protect an API's responses (OWASP REST Security): nosniff, HSTS, no framing,
  // CORP. helmet's others are for HTML documents (prefetch, referrer, opener, IE download and XSS
  // filter switches) and each header costs a cached read ~2 % of its time. No CSP: /docs and
  // /admin/queues need inline scripts.
  app.useSecurityHeaders({
    contentSecurityPolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    // Fastify sends no X-Powered-By: nothing to remove on every response.
    xPoweredBy: false,
    xFrameOptions: { action: 'deny' },
  });
  fastify.decorateRequest('user', null);
  fastify.decorateRequest('clientIdentity', undefined);
  fastify.decorateRequest('routeTemplate', undefined);

  // Plugins whose hooks must run before ours load first (each adds them as it loads).
  if (config.CORS_ORIGINS.length)
    await fastify.register(fastifyCors, { origin: config.CORS_ORIGINS, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });
  // Compression adds per-route hooks, which run after the global ones below.
  await fastify.register(fastifyCompress, {
    threshold: 1024,
    encodings: ['br', 'gzip'],
    // Quality 11 (the default) costs ~10x quality 4 in CPU for a few % smaller JSON.
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
    // mime-db does not list NDJSON as compressible; the orders export streams it (~120 MB a year).
    customTypes: /^application\/x-ndjson/,
  });

  registerBodyParsers(fastify);
  fastify.addHook('onRequest', edge.onRequest);
  fastify.addHook('preHandler', edge.preHandler);
  // onSend only where there is something to do (a hook on every route costs every response):
  // before compression, so that a 304 is not compressed.
  fastify.addHook('onRoute', (route) => {
    const policy = routePolicyIn(route.config);
    const hooks = [
      ...(policy?.cacheable ? [notModifiedOnSend] : []),
      ...(policy?.authenticated ? [privateOnSend] : []),
      ...(policy?.choosesStatus ? [chosenStatusOnSend] : []),
    ];
    if (hooks.length) route.onSend = [...hooks, ...[route.onSend ?? []].flat()];
    // Handler answers are objects until serialized: the next page is read there, not parsed back.
    if (policy?.paginated)
      route.preSerialization = [nextLinkPreSerialization(policy.paginated), ...[route.preSerialization ?? []].flat()];
  });
  // HTTP/2 only (a hook on every response, so not when it is off): see withoutConnectionHeaders.
  if (config.HTTP2 !== 'off') fastify.addHook('onSend', withoutConnectionHeaders);
  if (config.HTTP2 !== 'off') fastify.addHook('preClose', closeHttp2SessionsOnClose(fastify.server));
  fastify.addHook('onResponse', edge.onResponse);
  fastify.addHook('preClose', edge.preClose);

  const board = new QueueBoard(
    [CHARGES_QUEUE, EMAILS_QUEUE, REFUNDS_QUEUE].map((name) => app.get<Queue>(getQueueToken(name))),
    auth,
    limits,
  );
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', board.authorize);
    scope.addHook('onSend', async (request, reply, payload) => board.errorsAsProblems(request, reply, payload));
    await scope.register(board.plugin, { prefix: QUEUE_BOARD_PATH });
  });
}

/** A 304 decided by the cache interceptor (Nest sets the route's status after interceptors). */
const notModifiedOnSend: onSendHookHandler = (request, reply, payload, done) =>
  done(null, notModifiedPayload(request, reply, payload));

/** Authenticated answers are the caller's own: no shared cache keeps them, unless the route says otherwise. */
const privateOnSend: onSendHookHandler = (_request, reply, payload, done) => {
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'private, no-store');
  done(null, payload);
};
