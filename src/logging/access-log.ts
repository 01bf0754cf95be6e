import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * One line per response (`LOG_REQUESTS`), or a warning when slower than `slowMs` whatever the
 * setting. Not written from the request's log context (cache hits answered by the edge never
 * enter one), so the line carries the request id itself.
 */
export class AccessLog {
  constructor(
    private readonly logger: Logger,
    private readonly everyRequest: boolean,
    private readonly slowMs: number,
  ) {}

  write(request: FastifyRequest, reply: FastifyReply): void {
    const ms = reply.elapsedTime;
    const slow = ms >= this.slowMs;
    if (!slow && !this.everyRequest) return;
    const line = {
      reqId: request.id,
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(ms * 10) / 10,
    };
    if (slow) this.logger.warn(line, 'slow request');
    else this.logger.info(line, 'request completed');
  }
}
