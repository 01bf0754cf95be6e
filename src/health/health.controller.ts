import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { SkipRateLimit } from '../rate-limit/index.js';
import { ReadinessIndicators } from './readiness.indicators.js';

/** For load balancers and Kubernetes probes: public, never cached, never throttled. */
@ApiTags('health')
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicators,
  ) {}

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
  @ApiResponse({ status: 200, description: 'Terminus report, status "ok" or "degraded", with details per check' })
  @ApiResponse({ status: 503, description: 'Terminus report, status "error": the primary or the queue Redis is down' })
  async ready(): Promise<Response> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check(this.readiness.all());
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    // The report itself, not a problem document, whatever the status: probes and operators read it.
    return new Response(JSON.stringify(result), {
      status: result.status === 'ok' || result.status === 'degraded' ? 200 : 503,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
}
