import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { mountQueueBoard } from './admin/queue-board.js';
import { AppModule } from './app.module.js';
import { setupOpenApi } from './common/openapi/setup-openapi.js';
import type { AppConfigValues, LogLevel } from './config/index.js';

const NEST_LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

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

export function nestLogLevels(level: LogLevel) {
  const nestLevel = level === 'info' ? 'log' : level;
  return NEST_LOG_LEVELS.slice(0, NEST_LOG_LEVELS.indexOf(nestLevel) + 1);
}
