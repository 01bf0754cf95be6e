/** Options of `CpuPoolModule.forRoot` / `forRootAsync`. */
export interface CpuPoolModuleOptions {
  /**
   * Worker threads that run CPU-heavy tasks off the event loop; 0 runs every task inline on the
   * calling thread (same results, no threads: tests, tiny instances).
   * @default 1
   */
  threads?: number;
  /**
   * Tasks a thread runs at once: a long task that mostly waits (an export streaming to a slow
   * client) shares its thread; a CPU-bound one runs to completion before the next starts anyway.
   * @default 8
   */
  tasksPerThread?: number;
  /**
   * The threads' nice value (0–19, Linux): how far pool work yields the cores to the event loop's
   * thread when they are busy (at 10, it gets about a tenth of a contended core).
   * @default 10
   */
  niceness?: number;
  /**
   * Heap limits of each worker thread (MB): a task's garbage stays in the worker and is bounded
   * there, instead of growing the main heap.
   * @default { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 }
   */
  heapLimitsMb?: { old: number; young: number };
}
