import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { HealthMonitor } from './health-monitor.js';
import { ReadinessProbes } from './readiness.probes.js';
import { ReadinessService } from './readiness.service.js';

/** `/health/live` and `/health/ready` on the app port; `ReadinessService` for the operations port. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ReadinessProbes, HealthMonitor, ReadinessService],
  exports: [ReadinessService],
})
export class HealthModule {}
