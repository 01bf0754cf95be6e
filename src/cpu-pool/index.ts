export { CpuPoolModule } from './cpu-pool.module.js';
export type { CpuPoolModuleOptions } from './cpu-pool.options.js';
export { CpuPool } from './cpu-pool.service.js';
export { CPU_POOL_OPTIONS } from './cpu-pool.module-definition.js';
export { cpuTask, type CpuTask } from './cpu-task.js';
