import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

export interface AccessLogOptions {
  /** A line per response; `false` keeps only the slow ones. */
  everyRequest: boolean;
  /** Slower responses are a warning, whatever `everyRequest` says. */
  slowMs: number;
  /** Successful cache hits are logged one in this many (1: all), with `sampled: N` on the line. */
  hitsOneIn: number;
}

/**
 * One line per response, or a warning when slower than `slowMs`. Successful cache hits — the bulk
 * of a busy catalog's traffic, and its cheapest responses, for which a line costs ~20 % of the
 * response — are sampled: each line that stands for N says `sampled: N`; errors, misses and slow
 * requests are always logged. Not written from the request's log context (hits answered by the
 * edge never enter one), so the line carries the request id itself.
 */
export class AccessLog {
  private hits = 0;

  constructor(
    private readonly logger: Logger,
    private readonly options: AccessLogOptions,
  ) {}

  write(request: FastifyRequest, reply: FastifyReply): void {
    const ms = reply.elapsedTime;
    const slow = ms >= this.options.slowMs;
    if (!slow && !this.options.everyRequest) return;
    const status = reply.statusCode;
    const hit = !slow && status < 400 && reply.getHeader('x-cache') === 'HIT';
    if (hit && this.options.hitsOneIn > 1 && ++this.hits % this.options.hitsOneIn !== 0) return;
    const line = {
      reqId: request.id,
      method: request.method,
      url: request.url,
      route: request.routeTemplate ?? request.routeOptions.url,
      status,
      ms: Math.round(ms * 10) / 10,
      ...(hit && this.options.hitsOneIn > 1 ? { sampled: this.options.hitsOneIn } : {}),
    };
    if (slow) this.logger.warn(line, 'slow request');
    else this.logger.info(line, 'request completed');
  }
}
