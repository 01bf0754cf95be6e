/**
 * `npm run cluster -- --instances 3`: N API processes on consecutive ports (3101, 3102, …) and a
 * worker, behind the HAProxy that `npm run services:up` runs (docs/load-balancer.md). Builds
 * first when dist/ is missing or older than src/. Each instance's slot in the balancer is taken out
 * of maintenance over the stats socket once the instance answers; slots beyond N go back in.
 *
 *   kill -HUP <pid>    rolling restart: one instance at a time (SIGTERM, drain, exit, start, UP)
 *   Ctrl-C / SIGTERM   stops the instances (each drains) and the worker
 *
 * An instance that dies is started again. The instances get SHUTDOWN_DRAIN_MS=3000 (longer than
 * the balancer's 2 failed checks 1 s apart) and TRUST_PROXY=127.0.0.1 (client addresses from the
 * balancer's X-Forwarded-For) unless the environment sets them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HaproxyRuntime } from './haproxy-runtime.js';

const USAGE = `usage: npm run cluster -- [--instances 3] [--first-port 3101] [--socket <HAProxy stats socket>] [--no-worker]`;

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '3' },
    'first-port': { type: 'string', default: '3101' },
    socket: { type: 'string', default: '/var/tmp/store-api-services/haproxy/admin.sock' },
    'balancer-url': { type: 'string', default: 'http://127.0.0.1:8080' },
    'no-worker': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const count = Number(values.instances);
const firstPort = Number(values['first-port']);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(firstPort)) {
  console.error(USAGE);
  process.exit(2);
}

const log = (message: string) => console.log(`cluster: ${message}`);
const runtime = new HaproxyRuntime(values.socket);

/** One supervised process; its output prefixed with its name. */
class Supervised {
  child?: ChildProcess;
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    this.stopping = false;
    const child = spawn(process.execPath, [this.script], {
      env: { SHUTDOWN_DRAIN_MS: '3000', TRUST_PROXY: '127.0.0.1', ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout!, child.stderr!])
      createInterface({ input: stream }).on('line', (line) => console.log(`[${this.name}] ${line}`));
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      log(`${this.name} exited (${signal ?? code}); starting it again in 1 s`);
      setTimeout(() => this.start(), 1_000);
    });
    this.child = child;
  }

  /** SIGTERM, and the exit code once it is gone (an API drains first). */
  stop(): Promise<number | null> {
    const child = this.child;
    this.stopping = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }
}

class ApiInstance extends Supervised {
  readonly slot: string;

  constructor(
    index: number,
    readonly port: number,
  ) {
    // Each its own operations port (port + 100), as two cannot share the default 9400.
    super(`api${index + 1}`, 'dist/main.js', { PORT: String(port), OPS_PORT: String(port + 100) });
    this.slot = `api${index + 1}`;
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ok = await fetch(`http://127.0.0.1:${this.port}/health/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return;
      await sleep(200);
    }
    throw new Error(`${this.name} not ready on :${this.port} after ${timeoutMs} ms`);
  }

  /** Until the balancer's own checks have put it in rotation. */
  async inRotation(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const server = (await runtime.servers()).find((candidate) => candidate.name === this.slot);
      if (server?.status === 'UP') return;
      await sleep(100);
    }
    throw new Error(`${this.slot} not UP in the balancer after ${timeoutMs} ms`);
  }
}

/** dist/ missing, or a file under src/ newer than dist/main.js: build. */
function buildIfNeeded(): void {
  const built = existsSync('dist/main.js') ? statSync('dist/main.js').mtimeMs : 0;
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
        entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
      ),
    );
  if (built && newest('src') <= built) return;
  log('building (npm run build)');
  const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

async function main(): Promise<void> {
  if (!existsSync(values.socket)) {
    console.error(
      `cluster: no HAProxy stats socket at ${values.socket}: run npm run services:up first (it starts the balancer).`,
    );
    process.exit(1);
  }
  const slots = (await runtime.servers()).map((server) => server.name);
  if (count > slots.length) {
    console.error(
      `cluster: the balancer has ${slots.length} slots (BALANCER_SLOTS in services.sh); asked for ${count}.`,
    );
    process.exit(2);
  }
  buildIfNeeded();

  const instances = Array.from({ length: count }, (_, index) => new ApiInstance(index, firstPort + index));
  const worker = values['no-worker'] ? undefined : new Supervised('worker', 'dist/worker.js', {});
  worker?.start();
  for (const instance of instances) instance.start();
  await Promise.all(instances.map((instance) => instance.ready()));
  for (const slot of slots) {
    const ours = instances.some((instance) => instance.slot === slot);
    await runtime.setState(slot, ours ? 'ready' : 'maint');
  }
  await Promise.all(instances.map((instance) => instance.inRotation()));
  log(
    `${count} instances (:${firstPort}–:${firstPort + count - 1}) behind ${values['balancer-url']}` +
      `${worker ? ' and a worker' : ''}; kill -HUP ${process.pid} for a rolling restart, Ctrl-C to stop`,
  );

  let restarting = false;
  process.on('SIGHUP', () => {
    if (restarting) return;
    restarting = true;
    void (async () => {
      for (const instance of instances) {
        log(`rolling restart: ${instance.name} (drains, exits, starts)`);
        const code = await instance.stop();
        if (code !== 0) log(`${instance.name} exited with ${code}`);
        instance.start();
        await instance.ready();
        await instance.inRotation();
      }
      log('rolling restart done');
    })()
      .catch((error: Error) => log(`rolling restart failed: ${error.message}`))
      .finally(() => (restarting = false));
  });

  // A reloaded balancer starts its slots in maintenance: take ours out of it again.
  const reconcile = setInterval(() => {
    void runtime.servers().then(
      async (servers) => {
        for (const instance of instances)
          if (servers.find((server) => server.name === instance.slot)?.status === 'MAINT')
            await runtime.setState(instance.slot, 'ready');
      },
      () => {},
    );
  }, 2_000);

  const shutdown = async () => {
    clearInterval(reconcile);
    log('stopping (each instance drains first)');
    const codes = await Promise.all(instances.map((instance) => instance.stop()));
    await worker?.stop();
    for (const instance of instances) await runtime.setState(instance.slot, 'maint').catch(() => {});
    process.exit(codes.every((code) => code === 0) ? 0 : 1);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

await main();
