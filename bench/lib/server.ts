import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';

/** Every process started here: ended when the bench exits, even on a crash, so none holds a port after it. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
function started(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Builds the app as production runs it (skip with BENCH_SKIP_BUILD=1 when dist/ is current). */
export function ensureBuilt(): void {
  if (existsSync('dist/main.js') && process.env.BENCH_SKIP_BUILD) return;
  const result = spawnSync('npx', ['nest', 'build'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build failed');
}

/**
 * The API in its own process (the load generator must not share its event loop); `cwd`: the
 * checkout whose dist/main.js runs (another commit's build, see baseline-build.ts).
 */
export async function startApi(port: number, env: Record<string, string>, cwd?: string): Promise<ChildProcess> {
  // Another process answering on the port would be measured in the API's place.
  if (await listening(port)) throw new Error(`port ${port} is taken by another process`);
  const child = started(
    spawn(process.execPath, ['dist/main.js'], {
      cwd,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    const up = await fetch(`http://127.0.0.1:${port}/products?limit=1`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error('the API did not start within 20 s');
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** SIGTERM (a graceful shutdown), then SIGKILL if the process is still there 30 s later. */
export async function stopApi(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** A helper process (worker, fake provider, SMTP sink); resolves once it prints `ready` (or its first line). */
export async function startProcess(args: string[], env: Record<string, string>, ready = ''): Promise<ChildProcess> {
  const child = started(
    spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start in 20 s`));
    }, 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes(ready) && output.includes('\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return child;
}
