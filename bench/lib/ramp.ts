import { openLoop, type OpenLoopResult } from './load.js';

/** The offered rates of a full ramp, req/s. */
export const RAMP_RATES = [
  25, 50, 75, 100, 150, 200, 300, 400, 500, 600, 800, 1_000, 1_200, 1_500, 2_000, 2_500, 3_000,
];

export interface RampStep extends OpenLoopResult {
  /** Offered, req/s. */
  rate: number;
  /** Successful answers per second over the step (from its first send to its last answer). */
  achieved: number;
  keptUp: boolean;
}

export interface RampResult {
  steps: RampStep[];
  /** The last step kept up with (the saturation rate is its `rate`), if any was. */
  saturation: RampStep | undefined;
}

export interface RampOptions {
  rates: readonly number[];
  stepS: number;
  /** A step whose p99 is above this was not kept up with (a queue was building). */
  maxP99Ms: number;
  /** Answers at or above this share of the offered rate count as keeping up. */
  minShare?: number;
  onStep?: (step: RampStep) => void;
}

/**
 * An open-loop ramp: each rate in turn for `stepS`, until a step is not kept up with — answers
 * slower than offered, a p99 over the bound, or any failure. Past saturation an open loop's queue
 * grows without end, so the first step that fails ends the ramp.
 */
export async function ramp(
  send: () => Promise<Response>,
  { rates, stepS, maxP99Ms, minShare = 0.95, onStep }: RampOptions,
): Promise<RampResult> {
  const steps: RampStep[] = [];
  for (const rate of rates) {
    const result = await openLoop(rate, stepS, send);
    const achieved = (result.sent - result.failures) / Math.max(stepS, result.elapsedS);
    const keptUp = achieved >= minShare * rate && result.p99 <= maxP99Ms && result.failures === 0;
    const step = { rate, achieved, keptUp, ...result };
    steps.push(step);
    onStep?.(step);
    if (!keptUp) break;
  }
  return { steps, saturation: steps.findLast((step) => step.keptUp) };
}
