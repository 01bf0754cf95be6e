import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '../../config/index.js';

/** The OpenAPI document at /docs/json, and its UI at /docs; only with DOCS_ENABLED (off in production by default). */
export function setupOpenApi(app: NestFastifyApplication): void {
  if (!app.get(AppConfig).DOCS_ENABLED) return;
  const config = new DocumentBuilder()
    .setTitle('store-api')
    .setDescription(
      'Store API: catalog, search, reviews, orders. Errors are application/problem+json. Writes answer with ' +
        'X-Consistency-Token; send it back to read your writes from the replicas.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
}
