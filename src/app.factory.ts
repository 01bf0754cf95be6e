import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { mountQueueBoard } from './admin/queue-board.js';
import { AppModule } from './app.module.js';
import { fastifyOptions, hardenHttp } from './common/http/http-hardening.js';
import { setupOpenApi } from './common/openapi/setup-openapi.js';
import type { AppConfigValues } from './config/index.js';

/** Builds the HTTP application; shared by `main.ts`, the e2e tests and the benchmark. */
export async function createApp(config: AppConfigValues): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter(fastifyOptions(config)),
    // The JSON parser is ours (registerBodyParsers): UTF-8 checked, every other type a 415.
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(app.get(Logger));
  await hardenHttp(app, config);
  setupOpenApi(app);
  await mountQueueBoard(app);
  return app;
}
