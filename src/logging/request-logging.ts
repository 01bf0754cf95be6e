import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PinoLogger } from 'nestjs-pino';
import type { AppConfigValues } from '../config/index.js';

/**
 * Every log line made while handling a request carries its `reqId`, and every response gets an
 * access-log line (LOG_REQUESTS), or a warning when slower than HTTP_SLOW_REQUEST_MS.
 *
 * The request's log context is entered in a `preHandler` hook rather than nestjs-pino's pino-http
 * middleware: under Fastify, middleware runs before the body is read, and the body's stream events
 * lose the async context (nestjs-pino#546). The access log is an `onResponse` hook because the
 * cache's fast path answers public hits before Nest (or any middleware) sees them.
 */
export async function logRequests(app: NestFastifyApplication, config: AppConfigValues): Promise<void> {
  const logger = await app.resolve(PinoLogger);
  // Not in the request's context (fast-path hits never enter one), so it is given the id itself.
  const accessLog = PinoLogger.root.child({ context: 'Http' });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('preHandler', (request, _reply, done) =>
    logger.runInContext(done, { bindings: { reqId: request.id } }),
  );
  fastify.addHook('onResponse', async (request, reply) => {
    const slow = reply.elapsedTime >= config.HTTP_SLOW_REQUEST_MS;
    if (!slow && !config.LOG_REQUESTS) return;
    const line = {
      reqId: request.id,
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (slow) accessLog.warn(line, 'slow request');
    else accessLog.info(line, 'request completed');
  });
}
