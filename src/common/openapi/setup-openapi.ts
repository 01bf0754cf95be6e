import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '../../config/index.js';
import { buildOpenApiDocument } from './openapi-document.js';

/** The OpenAPI document at /docs/json, and its UI at /docs; only with DOCS_ENABLED (off in production by default). */
export function setupOpenApi(app: NestFastifyApplication): void {
  if (!app.get(AppConfig).DOCS_ENABLED) return;
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs/json' });
}
