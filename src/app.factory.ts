import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { mountQueueBoard } from './admin/queue-board.js';
import { AppModule } from './app.module.js';
import { setupOpenApi } from './common/openapi/setup-openapi.js';
import { nestLogLevels, type AppConfigValues } from './config/index.js';

/** Builds the HTTP application; shared by `main.ts`, the e2e tests and the benchmark. */
export async function createApp(config: AppConfigValues): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter({ bodyLimit: 1_048_576, trustProxy: config.TRUST_PROXY }),
    { logger: nestLogLevels(config.LOG_LEVEL), bufferLogs: false },
  );
  app.enableShutdownHooks();
  setupOpenApi(app);
  await mountQueueBoard(app);
  return app;
}
