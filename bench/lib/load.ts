import autocannon from 'autocannon';
import { Latencies, type Percentiles } from './latencies.js';

export interface OpenLoopResult extends Percentiles {
  sent: number;
  /** Responses outside 2xx, and requests that failed outright. */
  failures: number;
  /** From the first scheduled send to the last answer, in s (longer than the run once answers queue). */
  elapsedS: number;
}

/**
 * Open-loop load: one request every 1000/`rate` ms, whether or not earlier ones answered (unlike
 * autocannon's `overallRate`, which sends each second's quota in one burst). Each latency runs from
 * the request's scheduled send time, not from when the timer fired: a generator (or event loop)
 * that falls behind adds its delay to the latencies instead of hiding it (coordinated omission).
 */
export async function openLoop(
  rate: number,
  durationS: number,
  send: () => Promise<Response>,
): Promise<OpenLoopResult> {
  const latencies = new Latencies();
  let failures = 0;
  let lastAnswer = 0;
  const pending: Promise<void>[] = [];
  const total = Math.round(rate * durationS);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      send().then(
        async (response) => {
          await response.arrayBuffer();
          lastAnswer = performance.now();
          latencies.record(lastAnswer - due);
          if (!response.ok) failures++;
        },
        () => {
          lastAnswer = performance.now();
          failures++;
        },
      ),
    );
  }
  await Promise.all(pending);
  return { sent: total, failures, elapsedS: (lastAnswer - started) / 1000, ...latencies.percentiles() };
}

export interface MixRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Groups the results (e.g. "read", "search", "checkout"). */
  kind?: string;
}

export interface MixResult extends Percentiles {
  requests: number;
  rps: number;
  errors: number;
  non2xx: number;
  /** Latencies (ms) and non-2xx counts per request kind. */
  byKind: Record<string, Percentiles & { requests: number; non2xx: number }>;
}

/**
 * Closed-loop load (autocannon, `connections` callers back to back), each request built by
 * `next()`. Latencies are taken per request (built → response parsed: autocannon builds a
 * connection's next request right before writing it) into HDR histograms (autocannon reports no
 * p95), overall and by request kind.
 */
export async function loadMix(
  base: string,
  next: () => MixRequest,
  { connections = 50, durationS = 8 } = {},
): Promise<MixResult> {
  const all = new Latencies();
  const latencies: Record<string, Latencies> = {};
  const failed: Record<string, number> = {};
  type Context = { kind?: string; startedAt?: number };
  const result = await autocannon({
    url: base,
    connections,
    duration: durationS,
    requests: [
      {
        setupRequest: (request, context: Context) => {
          const built = next();
          context.kind = built.kind ?? 'all';
          context.startedAt = performance.now();
          return {
            ...request,
            method: built.method ?? 'GET',
            path: built.path,
            headers: { ...request.headers, ...built.headers },
            body: built.body,
          };
        },
        // Called with the context its request was built with (autocannon resets it only when
        // building the next one).
        onResponse: (status: number, _body: string, context: Context) => {
          const kind = context.kind ?? 'all';
          const latency = performance.now() - (context.startedAt ?? performance.now());
          all.record(latency);
          (latencies[kind] ??= new Latencies()).record(latency);
          if (status < 200 || status >= 300) failed[kind] = (failed[kind] ?? 0) + 1;
        },
      },
    ],
  });
  const byKind = Object.fromEntries(
    Object.entries(latencies).map(([kind, values]) => [
      kind,
      { requests: values.count, ...values.percentiles(), non2xx: failed[kind] ?? 0 },
    ]),
  );
  return {
    requests: all.count,
    rps: all.count / durationS,
    ...all.percentiles(),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    byKind,
  };
}
