import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** autocannon against `base`, each request's path drawn by `path()`. */
export async function load(
  base: string,
  path: () => string,
  { connections = 50, durationS = 6, headers = {} as Record<string, string> } = {},
): Promise<LoadResult> {
  const result = await autocannon({
    url: base,
    connections,
    duration: durationS,
    headers,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: path() }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export interface OpenLoopResult {
  sent: number;
  p50: number;
  p99: number;
  /** Responses outside 2xx, and requests that failed outright. */
  failures: number;
}

/**
 * Open-loop load: one request every 1000/`rate` ms, whether or not earlier ones answered (unlike
 * autocannon's `overallRate`, which sends each second's quota in one burst). Latencies are then
 * service times plus real queueing, not an artefact of the generator.
 */
export async function openLoop(
  rate: number,
  durationS: number,
  send: () => Promise<Response>,
): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  let failures = 0;
  const pending: Promise<void>[] = [];
  const total = Math.round(rate * durationS);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t0 = performance.now();
    pending.push(
      send().then(
        async (response) => {
          await response.arrayBuffer();
          latencies.push(performance.now() - t0);
          if (!response.ok) failures++;
        },
        () => {
          failures++;
        },
      ),
    );
  }
  await Promise.all(pending);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
  return { sent: total, p50: at(0.5), p99: at(0.99), failures };
}
