// The entry of every pool thread: imports nothing of the app (see cpu-task.ts), only piscina.
import { move } from 'piscina';

interface TaskMessage {
  module: string;
  name: string;
  input: unknown;
}

/** Runs the task's named export; a byte array goes back transferred (zero copy), not cloned. */
export default async function runTask({ module, name, input }: TaskMessage): Promise<unknown> {
  const exports = (await import(module)) as Record<string, (input: unknown) => unknown>;
  const output = exports[name](input);
  return output instanceof Uint8Array ? move(output) : output;
}
