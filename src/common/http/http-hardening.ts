import fastifyCompress from '@fastify/compress';
import fastifyHelmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { constants as zlib } from 'node:zlib';
import type { AppConfigValues } from '../../config/index.js';
import { logRequests } from '../../logging/request-logging.js';
import { registerBodyParsers } from './body-parsers.js';
import { clientErrorHandler } from './client-errors.js';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';
import { toProblemDetails } from './problem-details.filter.js';
import { refuseInvalidUtf8Query } from './query-encoding.js';

/** A client's request id is kept only if it is a sane token; anything else is replaced. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

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
];

/**
 * Fastify options: body limit, trusted proxies, request ids (accepted or generated), and problem
 * documents for the errors Fastify's router answers by itself (a URL it cannot decode, a path
 * parameter over 100 characters), which never reach Nest's exception filter.
 */
export function fastifyOptions(config: AppConfigValues) {
  return {
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false as const,
    genReqId: (request: { headers: IncomingHttpHeaders }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const details = { ...toProblemDetails(error), instance: request.url.split('?')[0] };
      void reply.code(details.status).type(PROBLEM_CONTENT_TYPE).send(details);
    },
    clientErrorHandler,
  };
}

/**
 * Compression (brotli or gzip over 1 KB, `x-no-compression` honoured), security headers, CORS
 * from config, the request id echoed on every response and in its log lines (with an access log
 * and slow-request warnings), and connections closed after their last response once shutting down.
 */
export async function hardenHttp(app: NestFastifyApplication, config: AppConfigValues): Promise<void> {
  await app.register(fastifyCompress, {
    threshold: 1024,
    encodings: ['br', 'gzip'],
    // Quality 11 (the default) costs ~10x quality 4 in CPU for a few % smaller JSON.
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
  });
  // No CSP: this serves JSON, plus /docs and /admin/queues, whose pages need inline scripts.
  await app.register(fastifyHelmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  if (config.CORS_ORIGINS.length)
    app.enableCors({ origin: config.CORS_ORIGINS, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });

  const fastify = app.getHttpAdapter().getInstance();
  registerBodyParsers(fastify);
  fastify.addHook('onRequest', refuseInvalidUtf8Query);
  // Once closing, every response (in-flight ones included) ends its keep-alive connection: else
  // an idle client socket would hold the server open until its keep-alive timeout.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  await logRequests(app, config);
}
