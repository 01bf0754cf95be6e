/**
 * What POST /checkout's latency includes, one run: the payment provider answering in 0 ms vs
 * 300 ms, with the charge made inline (during the request) vs deferred (the worker charges).
 * Deferred checkouts must not pay for the provider: their p99 ratio (300 ms / 0 ms) should be ~1.
 * API, worker, fake provider and SMTP sink each run in their own process; cells interleaved per round.
 * The load is open-loop at a fixed rate below saturation (evenly spaced arrivals), so latencies are
 * service times, not queueing behind a saturated 2-core machine.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import pg from 'pg';
import { apiEnv } from './lib/api-env.js';
import { BenchQueues, stockUp } from './lib/checkout-fixtures.js';
import { openLoop, type OpenLoopResult } from './lib/load.js';
import { median, table } from './lib/measure.js';
import { ensureBuilt, startApi, startProcess, stopApi } from './lib/server.js';

const ROUNDS = 2;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const RATE = Number(process.env.BENCH_CHECKOUT_RATE ?? 20);
const PRODUCTS = 500;
const GATEWAY_PORT = 4110;
const env = apiEnv(undefined, {
  PAYMENT_GATEWAY_URL: `http://127.0.0.1:${GATEWAY_PORT}`,
  SMTP_URL: 'smtp://127.0.0.1:2625',
  PAYMENT_TIMEOUT_MS: '2000',
  QUEUE_PREFIX: '{store-api-bench}',
  WORKER_METRICS_PORT: '0',
});
const modes = ['inline', 'deferred'] as const;
const latencies = [0, 300];

ensureBuilt();
const sql = new pg.Client({ connectionString: env.DATABASE_URL });
await sql.connect();
const productIds = await stockUp(sql, PRODUCTS);
const queues = await BenchQueues.emptied(sql, env);

const sink = await startProcess(['--import', 'tsx', 'dev/smtp-sink.ts'], {
  SMTP_SINK_PORT: '2625',
  SMTP_SINK_HTTP_PORT: '2680',
});
const worker = await startProcess(['dist/worker.js'], { ...env, LOG_LEVEL: 'info' }, 'worker running');
const results = new Map<string, OpenLoopResult[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const latencyMs of latencies) {
      const gateway = await startProcess(['--import', 'tsx', 'dev/fake-payment-gateway.ts'], {
        FAKE_GATEWAY_PORT: String(GATEWAY_PORT),
        FAKE_GATEWAY_LATENCY_MS: String(latencyMs),
      });
      try {
        for (const mode of modes) {
          const api = await startApi(3400, { ...env, CHECKOUT_CHARGE_MODE: mode });
          try {
            const login = await fetch('http://127.0.0.1:3400/auth/login', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ email: 'user2@example.com', password: 'password' }),
            });
            const { accessToken } = (await login.json()) as { accessToken: string };
            await checkoutLoad(accessToken, 2); // warm-up
            await queues.workerIdle(120_000);
            const name = `${mode}, provider ${latencyMs} ms`;
            results.set(name, [...(results.get(name) ?? []), await checkoutLoad(accessToken, DURATION_S)]);
          } finally {
            await stopApi(api);
          }
        }
      } finally {
        await stopApi(gateway);
      }
    }
  }
} finally {
  await stopApi(worker);
  await stopApi(sink);
  await queues.close();
  await sql.end();
}

function checkoutLoad(token: string, durationS: number): Promise<OpenLoopResult> {
  return openLoop(RATE, durationS, () =>
    fetch('http://127.0.0.1:3400/checkout', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        items: [{ productId: productIds[Math.floor(Math.random() * productIds.length)], quantity: 1 }],
        paymentToken: 'tok_visa',
      }),
    }),
  );
}

const medianOf = (name: string, pick: (result: OpenLoopResult) => number) => median(results.get(name)!.map(pick));
const rows = [...results.keys()].map((name) => {
  const runs = results.get(name)!;
  const [mode] = name.split(',');
  return {
    case: name,
    requests: runs.reduce((sum, run) => sum + run.sent, 0),
    'p50 ms': Math.round(medianOf(name, (run) => run.p50)),
    'p99 ms': Math.round(medianOf(name, (run) => run.p99)),
    'errors/non-2xx': runs.reduce((sum, run) => sum + run.failures, 0),
    'p50 vs provider 0 ms': (
      medianOf(name, (run) => run.p50) / medianOf(`${mode}, provider 0 ms`, (run) => run.p50)
    ).toFixed(2),
    'p99 vs provider 0 ms': (
      medianOf(name, (run) => run.p99) / medianOf(`${mode}, provider 0 ms`, (run) => run.p99)
    ).toFixed(2),
  };
});
console.log(
  `\nPOST /checkout at ${RATE}/s (open loop, evenly spaced), ${ROUNDS} rounds × ${DURATION_S} s, worker running\n`,
);
console.log(table(rows));
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-checkout.json`;
await writeFile(file, JSON.stringify({ rounds: ROUNDS, durationS: DURATION_S, rate: RATE, rows }, null, 2));
console.log(`written to ${file}`);
