import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InvalidConfigError, loadAppConfig, nestLogLevels } from './config/index.js';
import { WorkerModule } from './worker/worker.module.js';

/** `npm run start:worker`: charges, emails and the outbox relay, until SIGTERM/SIGINT. */
async function bootstrap(): Promise<void> {
  const config = loadAppConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: nestLogLevels(config.LOG_LEVEL),
  });
  const logger = new Logger('Bootstrap');
  // Not enableShutdownHooks(): that re-raises the signal after the hooks, so even a clean drain
  // ends as "killed by SIGTERM". Here a completed drain exits 0, a failed one 1.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: stopping`);
      app.close().then(
        () => process.exit(0),
        (error: Error) => {
          logger.error(`shutdown failed: ${error.stack}`);
          process.exit(1);
        },
      );
    });
  }
  logger.log(`store-api worker running (${config.NODE_ENV}, pid ${process.pid})`);
}

try {
  await bootstrap();
} catch (error) {
  if (!(error instanceof InvalidConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
