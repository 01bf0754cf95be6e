// Edge cost without sockets: GET /products/:id over 1,000 hot ids through fastify.inject, in-process.
import { createApp } from '../src/app.factory.js';
import { loadAppConfig } from '../src/config/index.js';
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const mode = process.argv[2] ?? 'api';
const env = Object.fromEntries(process.argv.slice(3).map((kv) => kv.split('=')));
let inject: (url: string) => Promise<{ statusCode: number }>;
let close: () => Promise<void>;
if (mode === 'bare') {
  const sample = JSON.parse(readFileSync('/tmp/prof/sample.json', 'utf8')) as { id: number }[];
  const products = new Map(sample.map((p) => [p.id, p]));
  const app = Fastify();
  app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
    const product = products.get(Number(request.params.id));
    if (product === undefined) return reply.code(404).send({ status: 404 });
    return product;
  });
  await app.ready();
  inject = (url) => app.inject({ method: 'GET', url, remoteAddress: '10.0.0.1' });
  close = () => app.close();
} else {
  const config = loadAppConfig({
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/store_test',
    DATABASE_REPLICA_URLS: 'postgresql://postgres@127.0.0.1:5433/store_test,postgresql://postgres@127.0.0.1:5434/store_test',
    REDIS_CACHE_URL: 'redis://127.0.0.1:6380',
    REDIS_QUEUE_URL: 'redis://127.0.0.1:6379',
    SMTP_URL: 'smtp://127.0.0.1:2525',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret',
    RATE_LIMIT_DEFAULT: '100000000',
    QUEUE_PREFIX: '{store-api-bench}',
    OPS_PORT: '0',
    HOST: '127.0.0.1',
    CACHE_WARM_TOP_PRODUCTS: '0',
    LOG_LEVEL: 'info',
    ...env,
  });
  const app = await createApp(config);
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  inject = (url) => fastify.inject({ method: 'GET', url, remoteAddress: '10.0.0.1' });
  close = () => app.close();
}
const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
for (const id of ids) await inject(`/products/${id}`);
async function run(n: number) {
  let k = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (k < n) {
        const r = await inject(`/products/${ids[(k++ * 7919) % 1000]}`);
        if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { usPerReq: ((performance.now() - started) * 1000) / n, cpuUsPerReq: (cpu.user + cpu.system) / n };
}
await run(30_000);
const results = [];
for (let i = 0; i < 3; i++) results.push(await run(60_000));
console.log(mode, JSON.stringify(env), results.map((r) => `${r.usPerReq.toFixed(1)}µs`).join(' '));
await close();
process.exit(0);
