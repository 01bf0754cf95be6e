import { writeFile } from 'node:fs/promises';
import type { MixResult } from '../lib/load.js';
import { median, table } from '../lib/measure.js';
import { barChartSvg } from '../lib/report.js';
import { recorded } from './context.js';
import { CASE, DURATION_S, QUICK, RAMP, ROUNDS } from './settings.js';

const runsOf = (name: string) => recorded.runs.get(name) ?? [];
const rpsOf = (name: string) => median(runsOf(name).map((result) => result.rps));
const medianOf = (name: string, pick: (result: MixResult) => number) => median(runsOf(name).map(pick));
const extra = (name: string) => median(recorded.extras.get(name) ?? [0]);
const errorsOf = (name: string) => runsOf(name).reduce((sum, result) => sum + result.errors + result.non2xx, 0);

type Goal = [goal: string, inputs: string[], value: () => number, bound: number, op: '≥' | '≤' | '<'];

/** The goals, each measured only when the cases it reads ran (BENCH_ONLY runs some). */
function goals(baseline: string | undefined): Goal[] {
  const ratio = (ours: string, peer: string): [string[], () => number] => [
    [ours, peer],
    () => rpsOf(ours) / rpsOf(peer),
  ];
  const p99 = (name: string): [string[], () => number] => [[name], () => medianOf(name, (result) => result.p99)];
  const mixed = (pick: (result: MixResult) => number): [string[], () => number] => [
    [CASE.mixed],
    () => medianOf(CASE.mixed, pick),
  ];
  const mixedErrors = () =>
    (100 * errorsOf(CASE.mixed)) /
    Math.max(
      1,
      runsOf(CASE.mixed).reduce((sum, result) => sum + result.requests, 0),
    );
  return [
    [
      'cached product, hot set, production defaults ≥ 0.6× bare Fastify',
      ...ratio(CASE.hot.ours, CASE.hot.bare),
      0.6,
      '≥',
    ],
    ['cached product, hot set, p99 ≤ 10 ms (50 connections)', ...p99(CASE.hot.ours), 10, '≤'],
    ['cached product, hot set ≥ 3× NestJS-docs stack', ...ratio(CASE.hot.ours, CASE.hot.docs), 3, '≥'],
    [
      'hot client ≤ 0.2 rate-limit Redis calls per request',
      [CASE.hot.ours],
      () => extra('hot client: rate-limit Redis calls per request'),
      0.2,
      '≤',
    ],
    ['cached product (Zipf, whole catalog) ≥ 0.7× bare Fastify', ...ratio(CASE.ours, CASE.bare), 0.7, '≥'],
    ['cached product ≥ 3× NestJS-docs stack', ...ratio(CASE.ours, CASE.docs), 3, '≥'],
    ['cached product ≥ 10× cache off', ...ratio(CASE.ours, CASE.cacheOff), 10, '≥'],
    ['cached product p99 ≤ 10 ms (50 connections)', ...p99(CASE.ours), 10, '≤'],
    ['uncached product ≥ 0.8× Fastify + pg', ...ratio(CASE.cacheOff, CASE.peer), 0.8, '≥'],
    ['list page 1 (cache off) ≥ 0.8× Fastify + pg', ...ratio(CASE.list, CASE.listPeer), 0.8, '≥'],
    ['orders, page of 50 (cache off) ≥ 0.8× Fastify + pg', ...ratio(CASE.ordersCacheOff, CASE.ordersPeer), 0.8, '≥'],
    ['checkout saturation (deferred) ≥ 0.5× Fastify + pg', ...ratio(CASE.rampOurs, CASE.rampPeer), 0.5, '≥'],
    [
      'checkout p99 at half saturation ≤ 2× its p50',
      [CASE.halfSaturation],
      () => medianOf(CASE.halfSaturation, (result) => result.p99 / result.p50),
      2,
      '≤',
    ],
    ['mixed p50 < 100 ms', ...mixed((result) => result.p50), 100, '<'],
    ['mixed p95 < 500 ms', ...mixed((result) => result.p95), 500, '<'],
    ['mixed p99 < 2 s', ...mixed((result) => result.p99), 2000, '<'],
    ['mixed error rate < 0.1 %', [CASE.mixed], mixedErrors, 0.1, '<'],
    ['mixed ≥ 1000 req/s', [CASE.mixed], () => rpsOf(CASE.mixed), 1000, '≥'],
    ...(baseline
      ? [[`mixed ≥ 2× baseline ${baseline}`, ...ratio(CASE.mixed, CASE.mixedBaseline(baseline)), 2, '≥'] as Goal]
      : []),
  ];
}

/**
 * Prints the report; a full run of every case also writes bench/results/<date>.{json,md,svg} (and
 * latest.*). Returns the cases that saw an error or a non-2xx answer.
 */
export async function report({
  products,
  baseline,
  partial,
}: {
  products: number;
  baseline: string | undefined;
  partial: boolean;
}): Promise<string[]> {
  const rows = [...recorded.runs.keys()].map((name) => ({
    case: name,
    'req/s': Math.round(rpsOf(name)),
    'p50 ms': Math.round(medianOf(name, (result) => result.p50) * 10) / 10,
    'p95 ms': Math.round(medianOf(name, (result) => result.p95) * 10) / 10,
    'p99 ms': Math.round(medianOf(name, (result) => result.p99) * 10) / 10,
    'errors/non-2xx': errorsOf(name),
  }));
  const goalRows = goals(baseline)
    .filter(([, inputs]) => inputs.every((name) => recorded.runs.has(name)))
    .map(([goal, , value, bound, op]) => {
      const measured = value();
      const met = op === '≥' ? measured >= bound : op === '≤' ? measured <= bound : measured < bound;
      return { goal, measured: Number(measured.toFixed(2)), met: met ? 'yes' : 'NO' };
    });
  const extraRows = [...recorded.extras.keys()].map((name) => ({
    measure: name,
    'median of rounds': Number(extra(name).toFixed(2)),
  }));
  const rampRows = [...recorded.ramps].flatMap(([name, steps]) =>
    steps.map((step) => ({
      side: name.replace('checkout saturation: ', ''),
      'offered/s': step.rate,
      'answered/s': Math.round(step.achieved),
      'p50 ms': step.p50,
      'p99 ms': step.p99,
      failed: step.failures,
      'kept up': step.keptUp ? 'yes' : 'no',
    })),
  );
  const mixedKinds = Object.entries(runsOf(CASE.mixed).at(-1)?.byKind ?? {}).map(([kind, stats]) => ({
    kind,
    ...stats,
  }));

  const heading = `${QUICK ? 'QUICK ' : ''}${new Date().toISOString()} · ${products.toLocaleString('en-US')} active products · ${ROUNDS} rounds × ${DURATION_S} s · 50 connections (checkout: open loop)`;
  /** A table (after its title, if any), left out when empty. */
  const section = (title: string | undefined, content: Record<string, string | number>[]) =>
    content.length ? [...(title ? [title, ''] : []), table(content), ''] : [];
  const markdown = [
    `## Benchmark ${heading}`,
    '',
    ...section(undefined, rows),
    ...section(undefined, goalRows),
    ...section(undefined, extraRows),
    ...section(
      `Checkout ramp (last round; ${RAMP.stepS} s per step, kept up: answered ≥ 95 % of offered, p99 ≤ ${RAMP.maxP99Ms} ms, no failure):`,
      rampRows,
    ),
    ...section('Mixed workload by kind (last round):', mixedKinds),
  ].join('\n');
  console.log(`\n${markdown}`);
  if (!QUICK && !partial)
    await writeResults(markdown, { products, rows, goals: goalRows, extras: extraRows, ramps: rampRows, mixedKinds });
  // A case without a single answer did not run (ramp rows count an offered rate, never zero requests).
  return rows
    .filter((row) => row['errors/non-2xx'] > 0 || !runsOf(row.case).some((result) => result.requests > 0))
    .map((row) => row.case);
}

async function writeResults(
  markdown: string,
  { products, ...tables }: { products: number } & Record<string, unknown>,
): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  const ratio = (peer: string) => rpsOf(CASE.ours) / rpsOf(peer);
  const svg = barChartSvg(`GET /products/:id, Zipf(1.0) over ${products.toLocaleString('en-US')} products — ${date}`, [
    {
      title: 'requests per second (median of rounds, 50 connections)',
      unit: 'req/s',
      bars: [
        { label: 'bare Fastify, Map (a)', value: rpsOf(CASE.bare) },
        { label: 'this API, cached', value: rpsOf(CASE.ours), note: `${ratio(CASE.bare).toFixed(2)}× bare` },
        { label: 'NestJS-docs stack (c)', value: rpsOf(CASE.docs), note: `this API ${ratio(CASE.docs).toFixed(1)}×` },
        { label: 'Fastify + pg, uncached (d)', value: rpsOf(CASE.peer) },
        {
          label: 'this API, cache off (b)',
          value: rpsOf(CASE.cacheOff),
          note: `${(rpsOf(CASE.cacheOff) / rpsOf(CASE.peer)).toFixed(2)}× Fastify + pg`,
        },
      ],
    },
    {
      title: 'p99 latency (ms)',
      unit: 'ms',
      bars: [...recorded.runs.keys()].map((name) => ({
        label: name.replace(/^product: /, ''),
        value: Math.round(medianOf(name, (result) => result.p99) * 10) / 10,
      })),
    },
  ]);
  const results = { date, quick: QUICK, rounds: ROUNDS, durationS: DURATION_S, products, ...tables };
  await writeFile(`bench/results/${date}.json`, JSON.stringify(results, null, 2));
  await writeFile(`bench/results/${date}.md`, markdown);
  await writeFile(`bench/results/${date}.svg`, svg);
  await writeFile('bench/results/latest.svg', svg);
  await writeFile('bench/results/latest.md', markdown);
  console.log(`written to bench/results/${date}.{json,md,svg} (and latest.{md,svg})`);
}
