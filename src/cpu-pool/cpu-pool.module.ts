import { Global, Module } from '@nestjs/common';
import { ConfigurableCpuPoolModule } from './cpu-pool.module-definition.js';
import { CpuPool } from './cpu-pool.service.js';

/**
 * A pool of worker threads (piscina) for work that would block the event loop for more than a few
 * milliseconds: `CpuPool.run('taskName', input)`. The tasks are the named exports of
 * `cpu-tasks.ts`. The pool starts with the module and is closed on shutdown.
 */
@Global()
@Module({ providers: [CpuPool], exports: [CpuPool] })
export class CpuPoolModule extends ConfigurableCpuPoolModule {}
