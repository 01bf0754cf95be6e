import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { ReadinessService } from '../health/index.js';
import { startOpsServer, type OpsServer } from './ops-server.js';

/**
 * The API's internal operations port (OPS_PORT on OPS_HOST, default HOST; 0 = none): `/metrics`,
 * `/health/live`, and `/health/ready` with every check's detail. Opens once the application has
 * booted (after the first readiness probe) and closes with it, before the pools and Redis do.
 */
@Injectable()
export class OpsPort implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Ops');
  private server?: OpsServer;

  constructor(
    private readonly config: AppConfig,
    private readonly readiness: ReadinessService,
  ) {}

  /** `http://host:port` while it listens; undefined with OPS_PORT=0. */
  get url(): string | undefined {
    return this.server?.url;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.OPS_PORT) return;
    this.server = await startOpsServer({
      host: this.config.OPS_HOST ?? this.config.HOST,
      port: this.config.OPS_PORT,
      readiness: () => this.readiness.check('full'),
    });
    this.logger.log(`operations port on ${this.server.url} (/metrics, /health/live, /health/ready)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
