import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CpuPoolModuleOptions } from './cpu-pool.options.js';

export const { ConfigurableModuleClass: ConfigurableCpuPoolModule, MODULE_OPTIONS_TOKEN: CPU_POOL_OPTIONS } =
  new ConfigurableModuleBuilder<CpuPoolModuleOptions>().setClassMethodName('forRoot').build();
