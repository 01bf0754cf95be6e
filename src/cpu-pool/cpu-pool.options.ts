/** Options of `CpuPoolModule.forRoot` / `forRootAsync`. */
export interface CpuPoolModuleOptions {
  /**
   * Worker threads that run CPU-heavy tasks off the event loop; 0 runs every task inline on the
   * calling thread (same results, no threads: tests, tiny instances).
   * @default 1
   */
  threads?: number;
  /**
   * Heap limits of each worker thread (MB): a task's garbage stays in the worker and is bounded
   * there, instead of growing the main heap.
   * @default { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 }
   */
  heapLimitsMb?: { old: number; young: number };
}
