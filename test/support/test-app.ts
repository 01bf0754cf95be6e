import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadAppConfig, type AppConfigValues } from '../../src/config/index.js';

/** The test configuration: local defaults for NODE_ENV=test (database `store_test`). */
export function testConfig(overrides: Record<string, string> = {}): AppConfigValues {
  // Warming runs in the background at start; tests that want it turn it on.
  return loadAppConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', CACHE_WARM_TOP_PRODUCTS: '0', ...overrides });
}

/** The real application on the real services, answering through Fastify's `inject`. */
export async function createTestApp(overrides: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const app = await createApp(testConfig(overrides));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
