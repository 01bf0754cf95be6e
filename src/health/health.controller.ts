import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiRoute } from '../common/openapi/zod-openapi.js';
import { SkipRateLimit } from '../rate-limit/index.js';
import { livenessSchema, readinessSchema, type Liveness } from './health.dto.js';
import { ReadinessService } from './readiness.service.js';

/**
 * For load balancers and Kubernetes probes: public, never cached, never throttled, and cheap
 * (readiness answers from the health monitor's last probes). Statuses only: the detail (errors,
 * lag, backlogs) is on the operations port.
 */
@ApiTags('health')
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('live')
  @ApiRoute({ id: 'health.live', summary: 'Liveness: the process answers (touches no dependency)' })
  @ApiJson(200, 'Alive', livenessSchema)
  live(): Liveness {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiRoute({
    id: 'health.ready',
    summary:
      'Readiness: 200 ok or degraded (a replica, the cache or a queue impaired); 503 without primary or queue Redis',
  })
  @ApiJson(200, 'Ready: status "ok" or "degraded", a status per check', readinessSchema, {
    headers: { 'Cache-Control': true },
  })
  @ApiJson(503, 'Not ready: status "error", the primary or the queue Redis is down', readinessSchema, {
    headers: { 'Cache-Control': false },
  })
  async ready(): Promise<Response> {
    const { statusCode, body } = await this.readiness.check('public');
    // The report itself, not a problem document, whatever the status: probes and operators read it.
    return new Response(JSON.stringify(body), {
      status: statusCode,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
}
