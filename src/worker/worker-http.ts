import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import { AppConfig } from '../config/index.js';
import { startOpsServer, type OpsServer } from '../ops/index.js';

/**
 * The worker's own small HTTP port (WORKER_METRICS_PORT; 0 = none): `/metrics` for Prometheus
 * (job durations and outcomes, Node process) and `/health/live` for container probes.
 */
@Injectable()
export class WorkerHttp implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker:http');
  private server?: OpsServer;

  constructor(private readonly config: AppConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.WORKER_METRICS_PORT;
    if (!port) return;
    collectDefaultMetrics();
    this.server = await startOpsServer({ host: this.config.HOST, port });
    this.logger.log(`metrics on ${this.server.url}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
