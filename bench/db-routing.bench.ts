/**
 * Routing overhead: the same indexed lookup through (a) a bare PrismaClient on the primary,
 * (b) Db.primary (observed), (c) Db.reader() (routing + observation, served by replicas), for two
 * query shapes: findUnique (Prisma batches concurrent ones made in one tick on one client) and
 * findFirst (never batched). Rounds are interleaved and repeated; medians, and ratios against the
 * bare client with the same query shape, all from the same run.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { writeFile } from 'node:fs/promises';
import { APP_NAME } from '../src/config/app-identity.js';
import { loadAppConfig } from '../src/config/load-app-config.js';
import { Db } from '../src/database/db.service.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { measure, median, table, type Measurement } from './lib/measure.js';

const ROUNDS = 3;
const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 4_000);
const CONCURRENCY = 16;

const config = loadAppConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test', LOG_LEVEL: 'error' });
const bare = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.DATABASE_URL, max: 5 }) });
const db = new Db({
  applicationName: APP_NAME,
  primaryUrl: config.DATABASE_URL,
  replicaUrls: config.DATABASE_REPLICA_URLS,
});
await db.onModuleInit();
const [{ max }] = await bare.$queryRaw<{ max: number }[]>`SELECT max(id)::int AS max FROM products`;
const randomId = () => 1 + Math.floor(Math.random() * max);
const select = { id: true, name: true, priceCents: true } as const;
const unique = (client: PrismaClient) => client.product.findUnique({ where: { id: randomId() }, select });
const first = (client: PrismaClient) => client.product.findFirst({ where: { id: randomId() }, select });

const cases: [string, () => Promise<unknown>, string][] = [
  ['findUnique: bare PrismaClient, primary', () => unique(bare), 'findUnique'],
  ['findUnique: Db.primary', () => unique(db.primary), 'findUnique'],
  ['findUnique: Db.reader()', () => unique(db.reader()), 'findUnique'],
  ['findFirst: bare PrismaClient, primary', () => first(bare), 'findFirst'],
  ['findFirst: Db.primary', () => first(db.primary), 'findFirst'],
  ['findFirst: Db.reader()', () => first(db.reader()), 'findFirst'],
];
for (const [, fn] of cases) await measure('warm-up', fn, { operations: 500, concurrency: CONCURRENCY });

const results = new Map<string, Measurement[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of cases) {
    const result = await measure(name, fn, { operations: OPERATIONS, concurrency: CONCURRENCY });
    results.set(name, [...(results.get(name) ?? []), result]);
  }
}
const opsOf = (name: string) => median(results.get(name)!.map((result) => result.opsPerSecond));
const baselineOf = (shape: string) => opsOf(cases.find(([, , caseShape]) => caseShape === shape)![0]);
const rows = [...results].map(([name, runs]) => ({
  case: name,
  'ops/s (median)': Math.round(median(runs.map((run) => run.opsPerSecond))),
  'p50 ms': median(runs.map((run) => run.p50Ms)).toFixed(2),
  'p99 ms': median(runs.map((run) => run.p99Ms)).toFixed(2),
  errors: runs.reduce((sum, run) => sum + run.errors, 0),
  'vs bare primary': (opsOf(name) / baselineOf(cases.find(([caseName]) => caseName === name)![2])).toFixed(2),
}));
console.log(`\nRouting overhead: ${ROUNDS} rounds × ${OPERATIONS} lookups, ${CONCURRENCY} in flight\n`);
console.log(table(rows));
const routing = db.snapshot().routing;
console.log(`\nreader() decisions: ${JSON.stringify(routing)}`);
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-db-routing.json`;
await writeFile(
  file,
  JSON.stringify({ rounds: ROUNDS, operations: OPERATIONS, concurrency: CONCURRENCY, rows, routing }, null, 2),
);
console.log(`written to ${file}`);
await db.onApplicationShutdown();
await bare.$disconnect();
