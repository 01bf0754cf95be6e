import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadAppConfig, nestLogLevels } from './config/index.js';
import { bootOrExit, exitOnSignals } from './common/process/lifecycle.js';
import { WorkerModule } from './worker/worker.module.js';

/** `npm run start:worker`: charges, emails and the outbox relay, until SIGTERM/SIGINT. */
async function bootstrap(): Promise<void> {
  const config = loadAppConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: nestLogLevels(config.LOG_LEVEL),
  });
  const logger = new Logger('Bootstrap');
  exitOnSignals(app, logger);
  logger.log(`store-api worker running (${config.NODE_ENV}, pid ${process.pid})`);
}

await bootOrExit(bootstrap);
