import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A function the pool can run in a worker thread: it lives in a module of its own, which a worker
 * loads by itself (the built `.js`, or under the tests the `.ts` source through tsx), so it
 * imports no Nest provider, only plain modules; it takes and returns structured-cloneable
 * values (and may await: a `MessagePort` in its input, transferred, streams a result), and a
 * `Uint8Array` result is transferred back, not copied.
 */
export interface CpuTask<Input, Output> {
  /** The module's file URL, as a worker imports it. */
  readonly module: string;
  /** Its named export. */
  readonly name: string;
  /** The same function, for running inline (`threads: 0`). */
  readonly run: (input: Input) => Output;
}

/**
 * `cpuTask(import.meta.url, './orders-export.task', 'streamOrderExport', streamOrderExport)`: the
 * module beside the caller, with the caller's own extension (`.js` when built, `.ts` in tests).
 */
export function cpuTask<Input, Output>(
  callerUrl: string,
  modulePath: string,
  name: string,
  run: (input: Input) => Output,
): CpuTask<Input, Output> {
  return { module: siblingModule(callerUrl, modulePath), name, run };
}

export function siblingModule(callerUrl: string, modulePath: string): string {
  return new URL(`${modulePath}${extname(fileURLToPath(callerUrl))}`, callerUrl).href;
}
