import type { BenchWorker } from '../lib/checkout-fixtures.js';
import { openLoop, type MixResult, type OpenLoopResult } from '../lib/load.js';
import { ramp } from '../lib/ramp.js';
import { startApi } from '../lib/server.js';
import { bearerFor, checkoutRequest, note, record, recorded, send, withServer, type StoreData } from './context.js';
import { BASE, CASE, DURATION_S, PORT, RAMP, WARMUP_S } from './settings.js';
import { startPeer } from './uncached.js';

const asRow = (result: OpenLoopResult, rps: number, errors: number): MixResult => ({
  requests: result.sent,
  rps,
  p50: result.p50,
  p95: result.p95,
  p99: result.p99,
  errors,
  non2xx: 0,
  byKind: {},
});

/**
 * POST /checkout under an open-loop ramp (RAMP.rates, RAMP.stepS each) until a step is not kept
 * up with, for this API in deferred mode and for Fastify + pg's one-statement checkout, each with
 * the worker running and its backlog discarded before; then this API at half its saturation rate,
 * where its p99 is held to 2× its p50. 20 buyers, one unit of a stocked product per checkout.
 * A side's row: the saturation rate, the latencies of that step, and the failures at the lowest
 * rate (a ramp may fail past saturation; it must never fail at 25/s).
 */
export async function checkoutRamp(
  env: Record<string, string>,
  data: StoreData,
  products: readonly number[],
  worker: BenchWorker,
): Promise<void> {
  const buyers = Array.from({ length: 20 }, (_, i) => bearerFor(i + 10));
  let turn = 0;
  const checkout = (base: string) => () =>
    send(base, checkoutRequest(buyers[turn++ % buyers.length], data.pickFrom(products)));
  const ours = () => startApi(PORT.api, { ...env, CHECKOUT_CHARGE_MODE: 'deferred' });
  const sides = [
    [CASE.rampOurs, ours, BASE.api],
    [CASE.rampPeer, () => startPeer(env), BASE.peer],
  ] as const;
  for (const [name, start, base] of sides) {
    await worker.fresh();
    await withServer(start, async () => {
      await openLoop(RAMP.rates[0], WARMUP_S, checkout(base)); // a cold process is not the one measured
      const { steps, saturation } = await ramp(checkout(base), {
        ...RAMP,
        onStep: (step) =>
          console.log(
            `${name}: ${step.rate}/s offered, ${Math.round(step.achieved)}/s answered, p50 ${step.p50} ms, p99 ${step.p99} ms, ${step.failures} failed`,
          ),
      });
      recorded.ramps.set(name, steps);
      const at = saturation ?? steps[0];
      record(name, asRow(at, saturation?.rate ?? 0, steps[0].failures));
    });
  }
  const saturation = recorded.runs.get(CASE.rampOurs)!.at(-1)!.rps;
  const rate = Math.max(RAMP.rates[0], saturation) / 2;
  note('checkout half-saturation rate, req/s', rate);
  await worker.fresh();
  await withServer(ours, async () => {
    await openLoop(rate, WARMUP_S, checkout(BASE.api));
    const result = await openLoop(rate, DURATION_S, checkout(BASE.api));
    record(CASE.halfSaturation, asRow(result, result.sent / DURATION_S, result.failures));
  });
  await worker.fresh();
}
