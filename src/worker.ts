import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { loadAppConfig } from './config/index.js';
import { bootOrExit, exitOnSignals } from './common/process/lifecycle.js';
import { WorkerModule } from './worker/worker.module.js';

/** `npm run start:worker`: charges, emails and the outbox relay, until SIGTERM/SIGINT. */
async function bootstrap(): Promise<void> {
  const config = loadAppConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  app.flushLogs();
  const logger = new Logger('Bootstrap');
  exitOnSignals(app, logger);
  logger.log(`store-api worker running (${config.NODE_ENV}, pid ${process.pid})`);
}

await bootOrExit(bootstrap);
