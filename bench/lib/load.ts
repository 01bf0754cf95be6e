import autocannon from 'autocannon';

export interface OpenLoopResult {
  sent: number;
  p50: number;
  p95: number;
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
  return { sent: total, p50: at(0.5), p95: at(0.95), p99: at(0.99), failures };
}

export interface MixRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Groups the results (e.g. "read", "search", "checkout"). */
  kind?: string;
}

export interface MixResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Latencies (ms) and non-2xx counts per request kind. */
  byKind: Record<string, { requests: number; p50: number; p95: number; p99: number; non2xx: number }>;
}

/**
 * Closed-loop load (autocannon, `connections` callers back to back), each request built by
 * `next()`. Latencies are taken per request (built → response parsed: autocannon builds a
 * connection's next request right before writing it), so percentiles are exact (autocannon
 * reports no p95) and split by request kind.
 */
export async function loadMix(
  base: string,
  next: () => MixRequest,
  { connections = 50, durationS = 8 } = {},
): Promise<MixResult> {
  const latencies: Record<string, number[]> = {};
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
          (latencies[kind] ??= []).push(performance.now() - (context.startedAt ?? performance.now()));
          if (status < 200 || status >= 300) failed[kind] = (failed[kind] ?? 0) + 1;
        },
      },
    ],
  });
  const percentile = (values: number[], q: number) =>
    values.length ? Math.round(values[Math.min(values.length - 1, Math.floor(q * values.length))] * 10) / 10 : 0;
  const all = Object.values(latencies)
    .flat()
    .sort((a, b) => a - b);
  const byKind = Object.fromEntries(
    Object.entries(latencies).map(([kind, values]) => {
      values.sort((a, b) => a - b);
      return [
        kind,
        {
          requests: values.length,
          p50: percentile(values, 0.5),
          p95: percentile(values, 0.95),
          p99: percentile(values, 0.99),
          non2xx: failed[kind] ?? 0,
        },
      ];
    }),
  );
  return {
    requests: all.length,
    rps: all.length / durationS,
    p50: percentile(all, 0.5),
    p95: percentile(all, 0.95),
    p99: percentile(all, 0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    byKind,
  };
}
