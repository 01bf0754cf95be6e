import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipRateLimit } from '../rate-limit/index.js';
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
  @ApiOperation({ summary: 'Liveness: the process answers (touches no dependency)' })
  @ApiResponse({ status: 200, description: '{ "status": "ok" }' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: 200 ok or degraded (a replica, the cache or a queue impaired); 503 without primary or queue Redis',
  })
  @ApiResponse({ status: 200, description: 'Terminus report, status "ok" or "degraded", a status per check' })
  @ApiResponse({ status: 503, description: 'Terminus report, status "error": the primary or the queue Redis is down' })
  async ready(): Promise<Response> {
    const { statusCode, body } = await this.readiness.check('public');
    // The report itself, not a problem document, whatever the status: probes and operators read it.
    return new Response(JSON.stringify(body), {
      status: statusCode,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
}
