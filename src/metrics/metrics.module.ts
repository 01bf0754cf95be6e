import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HttpMetrics } from './http-metrics.js';
import { InfraMetrics } from './infra-metrics.js';
import { MetricsController } from './metrics.controller.js';

/** `/metrics`: HTTP, cache, database, replicas, rate limits, API keys, payment breaker, queues, Node process. */
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
      defaultMetrics: { enabled: true },
    }),
  ],
  providers: [HttpMetrics, InfraMetrics],
  exports: [HttpMetrics],
})
export class MetricsModule {}
