import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import type { AppConfigValues } from './app-config.schema.js';
import { loadAppConfig } from './load-app-config.js';

@Global()
@Module({})
export class AppConfigModule {
  /** @param values already-validated values (tests, scripts); defaults to `loadAppConfig()`. */
  static forRoot(values: AppConfigValues = loadAppConfig()): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [{ provide: AppConfig, useValue: AppConfig.of(values) }],
      exports: [AppConfig],
    };
  }
}
