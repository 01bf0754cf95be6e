import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { OwnedMetrics } from './metric-registry.js';

/**
 * Request rate and latency by method, route template (never the raw URL: ids would explode the
 * label set) and status, from a Fastify hook: it also sees what the cache answers before Nest.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly metrics = new OwnedMetrics();
  private readonly duration = this.metrics.histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  private readonly total = this.metrics.counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status_code'],
  });

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onResponse', async (request, reply) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      };
      this.duration.observe(labels, reply.elapsedTime / 1000);
      this.total.inc(labels);
    });
  }

  onModuleDestroy(): void {
    this.metrics.release();
  }
}
