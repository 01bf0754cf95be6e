/* oxlint-disable typescript/no-unsafe-declaration-merging -- a DI token class typed by its interface */
import type { AppConfigValues } from './app-config.schema.js';

/**
 * The validated configuration, injectable by type. Modules take their slice of it through their
 * own `forRootAsync` options rather than reading it (or `process.env`) directly.
 */
export abstract class AppConfig {
  static of(values: AppConfigValues): AppConfig {
    return Object.freeze({ ...values }) as AppConfig;
  }
}
export interface AppConfig extends Readonly<AppConfigValues> {}
