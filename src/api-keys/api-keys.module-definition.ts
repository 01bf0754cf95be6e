import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ApiKeysModuleOptions } from './api-keys.options.js';

export const { ConfigurableModuleClass: ConfigurableApiKeysModule, MODULE_OPTIONS_TOKEN: API_KEYS_OPTIONS } =
  new ConfigurableModuleBuilder<ApiKeysModuleOptions>().setClassMethodName('forRoot').build();
