import { BENCH_METRICS_TOKEN } from './api-env.js';

/**
 * Prometheus text from `/metrics` on an API started with `apiEnv` (OPS_PORT=0, METRICS_TOKEN), as
 * `name{labels}` → value (comments and blank lines dropped).
 */
export async function scrape(base: string): Promise<Map<string, number>> {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
  if (!response.ok) throw new Error(`${base}/metrics answered ${response.status}`);
  const text = await response.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** The sum of the samples whose series matches `pattern`, from `before` to `after`. */
export function delta(before: Map<string, number>, after: Map<string, number>, pattern: RegExp): number {
  let sum = 0;
  for (const [series, value] of after) if (pattern.test(series)) sum += value - (before.get(series) ?? 0);
  return sum;
}
