import { Controller, Get, Headers, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ProblemException } from '../common/http/index.js';
import { AppConfig } from '../config/index.js';
import { SkipRateLimit } from '../rate-limit/index.js';

/**
 * `/metrics` on the app port, only as a fallback: with an operations port (OPS_PORT) Prometheus
 * scrapes that, and here it is a 404 like any unknown path; with OPS_PORT=0 it answers callers
 * bearing METRICS_TOKEN, and is a 404 when no token is configured. Never rate limited.
 */
// An operator's fallback, not part of the public API: not in the OpenAPI document.
@ApiExcludeController()
@SkipRateLimit()
@Controller()
export class MetricsController extends PrometheusController {
  private readonly token?: Buffer;

  constructor(config: AppConfig) {
    super();
    if (!config.OPS_PORT && config.METRICS_TOKEN) this.token = digest(config.METRICS_TOKEN);
  }

  @Get()
  override index(
    @Res({ passthrough: true }) response: FastifyReply,
    @Req() request?: FastifyRequest,
    @Headers('authorization') authorization?: string,
  ): Promise<string> {
    // Word for word what an unknown path answers: nothing tells a caller that metrics live here.
    if (!this.token) throw new NotFoundException(`Cannot ${request?.method} ${request?.url}`);
    const given = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!given || !timingSafeEqual(digest(given), this.token)) {
      void response.header('www-authenticate', 'Bearer realm="metrics"');
      throw new ProblemException(401, 'unauthorized', 'Metrics need the bearer token (METRICS_TOKEN).');
    }
    return super.index(response);
  }
}

/** Equal-length digests, so the comparison takes the same time whatever the token given. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
