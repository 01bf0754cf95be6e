import { spawn, type ChildProcess } from 'node:child_process';

export interface AppProcess {
  child: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ApiProcess extends AppProcess {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The operations port's `http://127.0.0.1:<OPS_PORT>` when `env` sets one (none by default). */
  ops?: string;
}

/**
 * A built entry point (`dist/…`, built by `npm test`'s pretest) as a real process on the test
 * configuration plus `env`; resolves once `isReady` says so (asked every 100 ms).
 */
export async function startBuilt(
  script: string,
  env: Record<string, string>,
  isReady: (output: string) => boolean | Promise<boolean>,
): Promise<AppProcess> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!(await isReady(output))) {
    if (child.exitCode !== null)
      throw new Error(`${script} exited with ${child.exitCode} before it started:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not start in 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * A built entry point run to its end (a boot that must fail), on the test configuration plus
 * `env` (an empty value unsets a variable, `NODE_ENV: ''` included); its exit code and output.
 */
export async function runBuilt(
  script: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

/** The worker (`dist/worker.js`); at log level info whatever `env` says: its start is an info line. */
export function startWorker(env: Record<string, string> = {}): Promise<AppProcess> {
  return startBuilt('dist/worker.js', { ...env, LOG_LEVEL: 'info' }, (output) => output.includes('worker running'));
}

/** The API (`dist/main.js`) on 127.0.0.1:`port`; no operations port unless `env` sets OPS_PORT. */
export async function startApi(port: number, env: Record<string, string> = {}): Promise<ApiProcess> {
  const base = `http://127.0.0.1:${port}`;
  const api = await startBuilt('dist/main.js', { PORT: String(port), HOST: '127.0.0.1', OPS_PORT: '0', ...env }, () =>
    fetch(`${base}/health/live`).then(
      (response) => response.ok,
      () => false,
    ),
  );
  return { ...api, base, ops: Number(env.OPS_PORT) ? `http://127.0.0.1:${env.OPS_PORT}` : undefined };
}

/**
 * Logs in over HTTP (seeded password); the `Bearer …` authorization value. `headers`: e.g. an
 * API key of the caller's own, since the auth limit counts per key, else per IP.
 */
export async function loginOver(api: ApiProcess, email: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${api.base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password: 'password' }),
  });
  const session = (await response.json()) as { accessToken?: string };
  expect(response.status, JSON.stringify(session)).toBe(200);
  return `Bearer ${session.accessToken}`;
}
