export { AppConfig } from './app-config.js';
export { APP_NAME, appKeyPrefix } from './app-identity.js';
export { AppConfigModule } from './app-config.module.js';
export type { AppConfigValues, LogLevel } from './app-config.schema.js';
export { InvalidConfigError, loadAppConfig, loadDatabaseUrl, loadTracingSettings } from './load-app-config.js';
export type { TracingSettings } from './load-app-config.js';
export { redisConnection } from './redis-connection.js';
