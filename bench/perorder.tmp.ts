// Temporary harness (not committed): worker CPU per order, idle subtracted.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { apiEnv } from './lib/api-env.js';
import { ensureBenchDatabase } from './lib/bench-db.js';
import { BenchQueues, stockUp } from './lib/checkout-fixtures.js';
import { startApi, startProcess, stopApi } from './lib/server.js';

const N = Number(process.env.N ?? 300);
const prof = process.env.PROF === '1' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof/worker'] : [];
const cwd = process.env.WORKER_CWD;
const db = await ensureBenchDatabase();
const env = apiEnv(db, {
  PAYMENT_GATEWAY_URL: 'http://127.0.0.1:4710', SMTP_URL: 'smtp://127.0.0.1:4725', PAYMENT_TIMEOUT_MS: '2000',
  QUEUE_PREFIX: '{store-api-perorder}', WORKER_METRICS_PORT: '0', CACHE_WARM_TOP_PRODUCTS: '0', CHECKOUT_CHARGE_MODE: 'deferred',
});
const sql = new pg.Client({ connectionString: env.DATABASE_URL });
await sql.connect();
const products = await stockUp(sql, 200);
const queues = await BenchQueues.emptied(sql, env);
const sink = await startProcess(['--import', 'tsx', 'dev/smtp-sink.ts'], { SMTP_SINK_PORT: '4725', SMTP_SINK_HTTP_PORT: '4780' });
const gateway = await startProcess(['--import', 'tsx', 'dev/fake-payment-gateway.ts'], { FAKE_GATEWAY_PORT: '4710', FAKE_GATEWAY_LATENCY_MS: '0' });
const worker = await startProcess([...prof, cwd ? `${cwd}/dist/worker.js` : 'dist/worker.js'], { ...env, LOG_LEVEL: 'info' }, 'worker running');
const api = await startApi(4700, env);
const cpu = () => { const f = readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
try {
  const login = await fetch('http://127.0.0.1:4700/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'user2@example.com', password: 'password' }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const checkout = async () => {
    const r = await fetch('http://127.0.0.1:4700/checkout', { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ items: [{ productId: products[Math.floor(Math.random() * products.length)], quantity: 1 }], paymentToken: 'tok_visa' }) });
    if (r.status >= 300) throw new Error(`checkout ${r.status} ${await r.text()}`);
  };
  for (let i = 0; i < 20; i++) await checkout();
  await queues.workerIdle(60_000);
  await new Promise((r) => setTimeout(r, 1000));
  let c0 = cpu(); const t0 = Date.now(); await new Promise((r) => setTimeout(r, 4000));
  const idlePerS = (cpu() - c0) / ((Date.now() - t0) / 1000);
  c0 = cpu(); const t1 = Date.now();
  let next = 0; await Promise.all(Array.from({ length: 10 }, async () => { while (next++ < N) await checkout(); }));
  await queues.workerIdle(120_000);
  const elapsed = (Date.now() - t1) / 1000; const used = cpu() - c0;
  console.log(`RESULT worker ms/order ${((used - idlePerS * elapsed) / N).toFixed(2)} (raw ${(used / N).toFixed(2)}, idle ${idlePerS.toFixed(1)} ms/s, ${elapsed.toFixed(1)} s)`);
} finally {
  await stopApi(api); await stopApi(worker); await stopApi(gateway); await stopApi(sink); await queues.close(); await sql.end();
}
