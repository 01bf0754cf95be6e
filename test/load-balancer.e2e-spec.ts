import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyRuntime, type ServerStat } from '../scripts/cluster/haproxy-runtime.js';
import { startApi, type ApiProcess } from './support/app-process.js';
import { waitFor } from './support/wait-for.js';

const HAPROXY = '/usr/sbin/haproxy';
const BALANCER_PORT = 4861;
const INSTANCE_PORTS = [4862, 4863, 4864];
const CHECK_INTERVAL_MS = 200;
const CHECK_FALL = 2;
/** Longer than the balancer needs to see the instance fail its checks (interval × fall) plus a check's time. */
const DRAIN_MS = 1_000;

/** A steady stream of idempotent reads through the balancer, `concurrency` at a time, until stopped. */
function steadyLoad(base: string, concurrency: number) {
  let running = true;
  const statuses = new Map<number, number>();
  const errors: string[] = [];
  const loops = Array.from({ length: concurrency }, async (_, lane) => {
    for (let i = 0; running; i++) {
      try {
        const response = await fetch(`${base}/products/${1 + ((lane * 7 + i) % 40)}`);
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      } catch (error) {
        errors.push(String((error as Error).cause ?? error));
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      const total = [...statuses.values()].reduce((sum, count) => sum + count, 0) + errors.length;
      const failed = total - (statuses.get(200) ?? 0);
      return { total, failed, statuses: Object.fromEntries(statuses), errors };
    },
  };
}

/** Every status each server passed through, as the balancer reported it (polled every 25 ms). */
function watchStatuses(runtime: HaproxyRuntime) {
  const seen = new Map<string, string[]>();
  const sample = async () => {
    for (const server of await runtime.servers()) {
      const statuses = seen.get(server.name) ?? [];
      if (statuses.at(-1) !== server.status) seen.set(server.name, [...statuses, server.status]);
    }
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    /** Ends with one more sample: the state the caller has just waited for is in the record. */
    async stop() {
      running = false;
      await loop;
      await sample();
      return seen;
    },
  };
}

const total = (stats: ServerStat[], field: 'retries' | 'redispatches' | 'responses5xx') =>
  stats.reduce((sum, server) => sum + server[field], 0);

/**
 * HAProxy (the configuration `services.sh up` writes, on test ports) in front of three built API
 * processes: a steady load of reads loses nothing when an instance is killed, and a rolling restart
 * (SIGTERM: not-ready, drain, close, exit 0) needs no retry at all.
 */
describe.skipIf(!existsSync(HAPROXY))('load balancer: HAProxy in front of three API instances (e2e)', () => {
  let dir: string;
  let runtime: HaproxyRuntime;
  const base = `http://127.0.0.1:${BALANCER_PORT}`;
  const env = {
    SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    RATE_LIMIT_DEFAULT: '10000000',
    LOG_LEVEL: 'warn',
    LOG_REQUESTS: 'false',
  };
  const instances: ApiProcess[] = [];
  let haproxy: ChildProcess;
  let haproxyOutput = '';

  const status = async (index: number) =>
    (await runtime.servers()).find((server) => server.name === `api${index + 1}`)?.status;
  const waitUntil = (index: number, wanted: RegExp, timeoutMs: number) =>
    waitFor(async () => wanted.test((await status(index)) ?? ''), timeoutMs, `api${index + 1} ${wanted}`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'store-api-balancer-'));
    runtime = new HaproxyRuntime(join(dir, 'admin.sock'));
    const config = execFileSync('bash', ['scripts/services.sh', 'balancer-config'], {
      env: {
        ...process.env,
        BALANCER_DIR: dir,
        BALANCER_PORT: String(BALANCER_PORT),
        BALANCER_STATS_PORT: '0',
        BALANCER_FIRST_INSTANCE_PORT: String(INSTANCE_PORTS[0]),
        BALANCER_SLOTS: String(INSTANCE_PORTS.length),
        BALANCER_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS),
        BALANCER_CHECK_FALL: String(CHECK_FALL),
      },
      encoding: 'utf8',
    });
    writeFileSync(join(dir, 'haproxy.cfg'), config);
    haproxy = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (chunk: Buffer) => (haproxyOutput += chunk));
    haproxy.stderr!.on('data', (chunk: Buffer) => (haproxyOutput += chunk));
    await waitFor(() => existsSync(join(dir, 'admin.sock')), 5_000, `HAProxy's stats socket\n${haproxyOutput}`);
    instances.push(...(await Promise.all(INSTANCE_PORTS.map((port) => startApi(port, env)))));
    // The slots start in maintenance (as under `services.sh up`); what `npm run cluster` does next.
    for (const index of INSTANCE_PORTS.keys()) await runtime.setState(`api${index + 1}`, 'ready');
    for (const index of INSTANCE_PORTS.keys()) await waitUntil(index, /^UP$/, 5_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop('SIGKILL')));
    haproxy?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves through the balancer, spreading requests over every instance', async () => {
    const before = await runtime.servers();
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${base}/products/${1 + i}`)));
    expect(responses.map((response) => response.status).filter((code) => code !== 200)).toEqual([]);
    const after = await runtime.servers();
    for (const [index, server] of after.entries())
      expect(server.requests, server.name).toBeGreaterThan(before[index].requests);
  });

  it('SIGKILL of one instance under steady load: no failed request (retried on another), and the balancer takes it out', async () => {
    const watch = watchStatuses(runtime);
    const load = steadyLoad(base, 8);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = await runtime.servers();
    const victim = instances[1];
    victim.child.kill('SIGKILL');
    await victim.exited;
    const outAfterMs = await waitUntil(1, /^DOWN/, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const result = await load.stop();
    const after = await runtime.servers();
    const seen = await watch.stop();
    console.log(
      `SIGKILL: ${result.total} requests, ${result.failed} failed; out of rotation after ${outAfterMs} ms; ` +
        `retries ${total(after, 'retries') - total(before, 'retries')}, redispatches ${total(after, 'redispatches') - total(before, 'redispatches')}`,
    );
    expect(result.errors).toEqual([]);
    expect(result.statuses).toEqual({ 200: result.total });
    expect(result.total).toBeGreaterThan(100);
    expect(seen.get('api2')).toEqual(expect.arrayContaining(['UP', expect.stringMatching(/^DOWN/)]));

    // Back for the next test: a new process on the same port, in rotation again once its checks pass.
    instances[1] = await startApi(INSTANCE_PORTS[1], env);
    await waitUntil(1, /^UP$/, 5_000);
  });

  it('rolling restart under steady load (SIGTERM, drain, exit 0, start, back UP): zero non-2xx and not one retry', async () => {
    const watch = watchStatuses(runtime);
    const load = steadyLoad(base, 8);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await runtime.servers();
    for (const index of INSTANCE_PORTS.keys()) {
      const stopping = instances[index];
      stopping.child.kill('SIGTERM');
      if (index === 0) {
        // Draining: not ready at once, and still serving whoever sends.
        await waitFor(
          async () => (await fetch(`${stopping.base}/health/ready`)).status === 503,
          DRAIN_MS / 2,
          'readiness 503 after SIGTERM',
        );
        const ready = (await (await fetch(`${stopping.base}/health/ready`)).json()) as { details: object };
        expect(ready.details).toMatchObject({ shutdown: { status: 'down' } });
        expect((await fetch(`${stopping.base}/products/1`)).status).toBe(200);
      }
      // Out of rotation while it still serves (the drain), then it finishes and exits cleanly.
      await waitUntil(index, /^DOWN/, DRAIN_MS);
      expect(await stopping.exited, stopping.output()).toBe(0);
      instances[index] = await startApi(INSTANCE_PORTS[index], env);
      await waitUntil(index, /^UP$/, 5_000);
    }
    const result = await load.stop();
    const after = await runtime.servers();
    const seen = await watch.stop();
    const retries = total(after, 'retries') - total(before, 'retries');
    const redispatches = total(after, 'redispatches') - total(before, 'redispatches');
    console.log(
      `rolling restart: ${result.total} requests, ${result.failed} failed, retries ${retries}, redispatches ${redispatches}; ` +
        `statuses seen: ${JSON.stringify(Object.fromEntries(seen))}`,
    );
    expect(result.errors).toEqual([]);
    expect(result.statuses).toEqual({ 200: result.total });
    expect(result.total).toBeGreaterThan(100);
    // The drain, not the balancer's retries, kept the clients whole.
    expect(retries).toBe(0);
    expect(total(after, 'responses5xx')).toBe(total(before, 'responses5xx'));
    for (const index of INSTANCE_PORTS.keys()) {
      const statuses = seen.get(`api${index + 1}`) ?? [];
      // Left (DOWN) and came back (UP), in that order.
      const down = statuses.findIndex((value) => value.startsWith('DOWN'));
      expect(down, `api${index + 1}: ${statuses.join(' → ')}`).toBeGreaterThan(0);
      expect(statuses.slice(down), `api${index + 1}`).toContain('UP');
    }
  }, 90_000);
});
