// The entry of every pool thread: imports nothing of the app (see cpu-task.ts), only piscina.
import { setPriority } from 'node:os';
import { move, workerData } from 'piscina';

interface TaskMessage {
  module: string;
  name: string;
  input: unknown;
}

// Linux schedules threads, and a thread's nice value is its own: with the cores busy, the event
// loop's thread (and the requests it serves) runs first, and pool work takes what is left.
const { niceness } = workerData as { niceness: number };
if (niceness) setPriority(niceness);

/** Runs the task's named export; a byte array goes back transferred (zero copy), not cloned. */
export default async function runTask({ module, name, input }: TaskMessage): Promise<unknown> {
  const exports = (await import(module)) as Record<string, (input: unknown) => unknown>;
  const output = await exports[name](input);
  return output instanceof Uint8Array ? move(output) : output;
}
