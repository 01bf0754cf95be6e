import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sendProblem } from '../common/http/index.js';
import { clientErrorHandler } from '../common/http/client-errors.js';
import type { AppConfigValues } from '../config/index.js';
import { serverProtocolOptions, type ServerProtocolOptions } from './server-protocol.js';

/** A client's request id is kept only if it is a sane token; anything else is replaced. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Fastify's own options: body limit, trusted proxies (which decide `request.ip`, hence the
 * rate-limit bucket of anonymous clients), request ids (accepted or generated), and problem
 * documents for the errors Fastify's router answers by itself (a URL it cannot decode, a path
 * parameter over 100 characters) and for requests Node's HTTP parser refuses, which never reach
 * Nest's exception filter. The server itself: HTTP/1.1, or HTTP/2 (`HTTP2`, see server-protocol.ts).
 */
export function fastifyOptions(config: AppConfigValues): FastifyServerOptions & ServerProtocolOptions {
  return {
    ...serverProtocolOptions(config),
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (request: { headers: IncomingHttpHeaders }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void sendProblem(request, reply.header('x-request-id', request.id), error);
    },
    // What Node's parser refuses before Fastify sees a request (431, a raw 0xFF): problem+json too.
    clientErrorHandler,
    // The edge answers requests that arrive while closing (a problem with Retry-After, not Fastify's plain 503).
    return503OnClosing: false,
  };
}
