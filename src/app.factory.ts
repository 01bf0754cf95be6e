import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { setupOpenApi } from './common/openapi/setup-openapi.js';
import type { AppConfigValues } from './config/index.js';
import { fastifyOptions } from './edge/fastify-options.js';
import { installHttpEdge } from './edge/http-edge.js';

/** Builds the HTTP application; shared by `main.ts`, the e2e tests and the benchmark. */
export async function createApp(config: AppConfigValues): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    // No Nest middleware runs here (the edge's hooks do that work): no middie per request.
    new FastifyAdapter({ ...fastifyOptions(config), skipMiddie: true }),
    // The JSON parser is the edge's (registerBodyParsers): UTF-8 checked, every other type a 415.
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(app.get(Logger));
  await installHttpEdge(app, config);
  setupOpenApi(app);
  return app;
}
