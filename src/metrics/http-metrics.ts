import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import { OwnedMetrics } from './metric-registry.js';

type Series = { duration: ReturnType<Histogram['labels']>; total: ReturnType<Counter['labels']> };

/**
 * Request rate and latency by method, route template (never the raw URL: ids would explode the
 * label set) and status. `record` is called by the HTTP edge for every response, those the cache
 * answers before Nest included.
 */
@Injectable()
export class HttpMetrics implements OnModuleDestroy {
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

  /** Each label set's children, resolved once (prom-client hashes the labels on every call otherwise). */
  private readonly series = new Map<string, Series>();

  record(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const name = `${request.method} ${route} ${reply.statusCode}`;
    let series = this.series.get(name);
    if (!series) {
      const labels = [request.method, route, String(reply.statusCode)];
      series = { duration: this.duration.labels(...labels), total: this.total.labels(...labels) };
      this.series.set(name, series);
    }
    series.duration.observe(reply.elapsedTime / 1000);
    series.total.inc();
  }

  onModuleDestroy(): void {
    this.metrics.release();
  }
}
