import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { CPU_POOL_OPTIONS } from './cpu-pool.module-definition.js';
import type { CpuPoolModuleOptions } from './cpu-pool.options.js';
import { siblingModule, type CpuTask } from './cpu-task.js';

/** Runs CPU-heavy tasks on worker threads, or inline with `threads: 0`. */
@Injectable()
export class CpuPool implements OnApplicationShutdown {
  private readonly logger = new Logger('CpuPool');
  private readonly pool?: Piscina;
  private closed = false;

  constructor(@Inject(CPU_POOL_OPTIONS) options: CpuPoolModuleOptions) {
    const threads = options.threads ?? 1;
    if (threads === 0) return;
    const heap = options.heapLimitsMb ?? { old: 64, young: 8 };
    const filename = siblingModule(import.meta.url, './cpu-pool.worker');
    this.pool = new Piscina({
      filename,
      // Under the tests the threads run the `.ts` sources, whose `.js` imports tsx resolves.
      execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : undefined,
      // Fixed size and never idled out: a thread started per task would cost more than the task.
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      // Long tasks mostly wait (an export, on its database and its client): one must not hold the
      // thread from the others.
      concurrentTasksPerWorker: options.tasksPerThread ?? 8,
      workerData: { niceness: options.niceness ?? 10 },
      resourceLimits: { maxOldGenerationSizeMb: heap.old, maxYoungGenerationSizeMb: heap.young },
    });
    // A thread that dies (out of its heap) fails its task; piscina starts another in its place.
    this.pool.on('error', (error: Error) => this.logger.error(`a pool thread failed: ${error.message}`));
  }

  /** Worker threads running (0: tasks run inline). */
  get threads(): number {
    return this.pool?.threads.length ?? 0;
  }

  /**
   * The task's result, computed on a pool thread (inline when the pool has no threads).
   * `transferList`: objects in `input` moved to the thread rather than copied (a `MessagePort`).
   */
  async run<Input, Output>(task: CpuTask<Input, Output>, input: Input, transferList?: Transferable[]): Promise<Output> {
    // A closed piscina would start a new thread for the task, which nothing would stop.
    if (this.closed) throw new Error('The CPU pool is closed (the application is shutting down).');
    if (!this.pool) return await task.run(input);
    return (await this.pool.run({ module: task.module, name: task.name, input }, { transferList })) as Output;
  }

  /** Tasks already started finish; queued ones are refused. */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.pool?.close({ force: true });
  }
}
