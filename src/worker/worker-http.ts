import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import { AppConfig } from '../config/index.js';

/**
 * The worker's own small HTTP port (WORKER_METRICS_PORT; 0 = none): `/metrics` for Prometheus
 * (job durations and outcomes, Node process) and `/health/live` for container probes.
 */
@Injectable()
export class WorkerHttp implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker:http');
  private server?: Server;

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): Promise<void> | void {
    const port = this.config.WORKER_METRICS_PORT;
    if (!port) return;
    collectDefaultMetrics();
    this.server = createServer((request, response) => {
      if (request.url === '/metrics') {
        void register.metrics().then((text) => {
          response.writeHead(200, { 'content-type': register.contentType }).end(text);
        });
        return;
      }
      if (request.url === '/health/live') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      response.writeHead(404).end();
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, this.config.HOST, () => {
        this.logger.log(`metrics on http://${this.config.HOST}:${port}/metrics`);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}
