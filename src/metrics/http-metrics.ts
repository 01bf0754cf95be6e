import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import { OwnedMetrics } from './metric-registry.js';

type LabelName = 'method' | 'route' | 'status_code';

/**
 * Request rate and latency by method, route template (never the raw URL: ids would explode the
 * label set) and status. `record` is called by the HTTP edge for every response, those the cache
 * answers before Nest included: one histogram observation; `http_requests_total` is its count,
 * read when scraped.
 */
@Injectable()
export class HttpMetrics implements OnModuleDestroy {
  private readonly metrics = new OwnedMetrics();
  private readonly duration = this.metrics.histogram<LabelName>({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });

  /** Each label set's child, resolved once. */
  private readonly series = new Map<string, ReturnType<Histogram<LabelName>['labels']>>();

  constructor() {
    const duration = this.duration;
    this.metrics.counter<LabelName>({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status_code'],
      async collect() {
        this.reset();
        for (const { metricName, labels, value } of (await duration.get()).values)
          if (metricName === 'http_request_duration_seconds_count') this.inc(labels, value);
      },
    });
  }

  record(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeTemplate ?? request.routeOptions.url ?? 'unmatched';
    const name = `${request.method} ${route} ${reply.statusCode}`;
    let series = this.series.get(name);
    if (!series)
      this.series.set(name, (series = this.duration.labels(request.method, route, String(reply.statusCode))));
    series.observe(reply.elapsedTime / 1000);
  }

  onModuleDestroy(): void {
    this.metrics.release();
  }
}
