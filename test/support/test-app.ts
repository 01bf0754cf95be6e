import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadAppConfig, type AppConfigValues } from '../../src/config/index.js';
import { scanResponsesForSecrets } from './secret-scan.js';
import { connect } from './sql.js';

/** The test configuration: local defaults for NODE_ENV=test (database `store_test`). */
export function testConfig(overrides: Record<string, string> = {}): AppConfigValues {
  // Warming runs in the background at start; tests that want it turn it on.
  return loadAppConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    CACHE_WARM_TOP_PRODUCTS: '0',
    // Test files send thousands of requests from one IP; the rate-limit tests set their own limits.
    RATE_LIMIT_DEFAULT: '1000000',
    RATE_LIMIT_AUTH: '1000000',
    RATE_LIMIT_ACCOUNT: '1000000',
    RATE_LIMIT_SEARCH: '1000000',
    // No operations port unless a test opts in with a free port (`freePort()`): files run apps side by side.
    OPS_PORT: '0',
    ...overrides,
  });
}

/** The real application on the real services, answering through Fastify's `inject`. */
export async function createTestApp(overrides: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const app = await createApp(testConfig(overrides));
  await app.init();
  scanResponsesForSecrets(app.getHttpAdapter().getInstance());
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** Logs in through the API; seeded users all have the password "password". */
export async function login(
  app: NestFastifyApplication,
  email: string,
  password = 'password',
): Promise<Record<string, string>> {
  const response = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  if (response.statusCode !== 200) throw new Error(`login of ${email} failed: ${response.body}`);
  return { authorization: `Bearer ${response.json().accessToken}` };
}

export const ADMIN_EMAIL = 'admin@example.com';

/**
 * The app and a plain SQL client for one test file: created before its tests, closed after.
 * Read `context.app` / `context.sql` inside tests (they are set by then).
 */
export function useTestApp(overrides: Record<string, string> = {}): {
  app: NestFastifyApplication;
  sql: import('pg').Client;
} {
  const context = {} as { app: NestFastifyApplication; sql: import('pg').Client };
  beforeAll(async () => {
    context.app = await createTestApp(overrides);
    context.sql = await connect();
  });
  afterAll(async () => {
    await context.sql?.end();
    await context.app?.close();
  });
  return context;
}
