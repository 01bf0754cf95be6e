/**
 * `npm run bench -- http2` — HTTP/2 against HTTP/1.1 on cached reads: GET /products/:id over 1,000
 * hot ids (all cache hits), load from h2load (Debian package nghttp2-client; without it the bench
 * says so and skips). The same 50 requests in flight in every case: HTTP/1.1 cleartext, HTTP/1.1
 * over TLS and h2 over TLS on 50 connections; then h2 (TLS, and h2c) multiplexed as 5 connections
 * × 10 streams. One API process per protocol setting, production defaults otherwise.
 * `--quick`: one short round. Ports: HTTP2_BENCH_PORT (3520) and the next two.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../test/support/h2-client.js';
import { apiEnv } from './lib/api-env.js';
import { firstActiveProductIds } from './lib/hot-set.js';
import { median, table } from './lib/measure.js';
import { ensureBuilt, stopApi } from './lib/server.js';

if (spawnSync('h2load', ['--version']).error) {
  console.log('h2load not found (apt-get install -y nghttp2-client): http2 bench skipped');
  process.exit(0);
}

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION_S = QUICK ? 2 : Number(process.env.BENCH_DURATION_S ?? 8);
const WARMUP_S = QUICK ? 1 : 2;
const FIRST_PORT = Number(process.env.HTTP2_BENCH_PORT ?? 3520);

ensureBuilt();
const env = apiEnv(undefined, { WORKER_METRICS_PORT: '0', CACHE_WARM_TOP_PRODUCTS: '0' });
const hotIds = await firstActiveProductIds(env.DATABASE_URL);
const certificate = selfSignedCertificate();

interface Server {
  name: string;
  scheme: 'http' | 'https';
  port: number;
  env: Record<string, string>;
}
const servers: Server[] = [
  { name: 'HTTP2=off', scheme: 'http', port: FIRST_PORT, env: {} },
  {
    name: 'HTTP2=tls',
    scheme: 'https',
    port: FIRST_PORT + 1,
    env: { HTTP2: 'tls', TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile },
  },
  { name: 'HTTP2=h2c', scheme: 'http', port: FIRST_PORT + 2, env: { HTTP2: 'h2c' } },
];
/** [case, server, h2load's protocol flags, connections, streams per connection] */
const cases: [string, Server, string[], number, number][] = [
  ['HTTP/1.1 cleartext, 50 conns', servers[0], ['--h1'], 50, 1],
  ['HTTP/1.1 TLS, 50 conns', servers[1], ['--h1'], 50, 1],
  ['h2 TLS, 50 conns × 1 stream', servers[1], [], 50, 1],
  ['h2 TLS, 5 conns × 10 streams', servers[1], [], 5, 10],
  ['h2c, 5 conns × 10 streams', servers[2], [], 5, 10],
];

interface H2loadResult {
  rps: number;
  meanMs: number;
  maxMs: number;
  non2xx: number;
}

/** h2load over the hot ids (each client walks the list from its start); its summary lines parsed. */
function h2load(server: Server, args: string[]): H2loadResult {
  const uris = join(tmpdir(), `h2load-uris-${server.port}.txt`);
  writeFileSync(uris, hotIds.map((id) => `${server.scheme}://127.0.0.1:${server.port}/products/${id}`).join('\n'));
  // h2load waits for every stream it started: one never answered would hang it, so it has a deadline.
  const result = spawnSync('h2load', [...args, '-t', '1', '-i', uris], { encoding: 'utf8', timeout: 120_000 });
  const out = result.stdout;
  const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const failed = /requests: .* (\d+) failed, (\d+) errored/.exec(out);
  const time = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  if (!rps || !codes || !time) throw new Error(`h2load said:\n${out}\n${result.stderr}`);
  const ms = (value: string) =>
    value.endsWith('us')
      ? parseFloat(value) / 1000
      : value.endsWith('ms')
        ? parseFloat(value)
        : parseFloat(value) * 1000;
  return {
    rps: Number(rps[1]),
    meanMs: ms(time[3]),
    maxMs: ms(time[2]),
    non2xx:
      Number(codes[2]) + Number(codes[3]) + Number(codes[4]) + Number(failed?.[1] ?? 0) + Number(failed?.[2] ?? 0),
  };
}

/**
 * The API with its output ignored: h2load blocks this process (spawnSync), so a pipe from the API
 * would fill and stall its logging. Up once h2load gets a 2xx from /health/live.
 */
async function startServer(server: Server): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    env: { ...process.env, ...env, ...server.env, PORT: String(server.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const probe = [
    ...(server.env.HTTP2 ? [] : ['--h1']),
    '-n',
    '1',
    `${server.scheme}://127.0.0.1:${server.port}/health/live`,
  ];
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`the API (${server.name}) exited with ${child.exitCode}`);
    if (/ 1 2xx/.test(spawnSync('h2load', probe, { encoding: 'utf8' }).stdout)) return child;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  child.kill('SIGKILL');
  throw new Error(`the API (${server.name}) did not start within 30 s`);
}

const runs = new Map<string, H2loadResult[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const server of servers) {
    const api = await startServer(server);
    try {
      // Every hot id once (the cache filled), then the measured cases on this server.
      // One client: each client walks the list from its start (HTTP/1.1 pipelines the 10, in order).
      h2load(server, [...(server.env.HTTP2 ? [] : ['--h1']), '-c', '1', '-m', '10', '-n', String(hotIds.length)]);
      for (const [name, caseServer, flags, clients, streams] of cases) {
        if (caseServer !== server) continue;
        const load = (seconds: number) =>
          h2load(server, [...flags, '-c', String(clients), '-m', String(streams), '-D', String(seconds)]);
        load(WARMUP_S);
        const result = load(DURATION_S);
        runs.set(name, [...(runs.get(name) ?? []), result]);
        console.log(`${name}: ${Math.round(result.rps)} req/s, mean ${result.meanMs} ms, non-2xx ${result.non2xx}`);
      }
    } finally {
      await stopApi(api);
    }
  }
}

const rpsOf = (name: string) => median(runs.get(name)!.map((result) => result.rps));
const h1 = rpsOf(cases[0][0]);
const report = cases.map(([name]) => ({
  case: name,
  'req/s': Math.round(rpsOf(name)),
  '× HTTP/1.1 cleartext': Number((rpsOf(name) / h1).toFixed(2)),
  'mean ms': Number(median(runs.get(name)!.map((result) => result.meanMs)).toFixed(2)),
  'max ms': Number(median(runs.get(name)!.map((result) => result.maxMs)).toFixed(1)),
  'non-2xx': runs.get(name)!.reduce((sum, result) => sum + result.non2xx, 0),
}));
console.log(`\nGET /products/:id over ${hotIds.length} hot ids (cache hits), ${ROUNDS} rounds × ${DURATION_S} s\n`);
console.log(table(report));
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-http2.json`;
await writeFile(
  file,
  JSON.stringify({ rounds: ROUNDS, durationS: DURATION_S, hotIds: hotIds.length, rows: report }, null, 2),
);
console.log(`written to ${file}`);
