import { Latencies } from './latencies.js';

export interface Measurement {
  name: string;
  operations: number;
  opsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

/** Closed-loop load in one process: `concurrency` callers, each running `fn` back to back. */
export async function measure(
  name: string,
  fn: () => Promise<unknown>,
  { operations, concurrency }: { operations: number; concurrency: number },
): Promise<Measurement> {
  const latencies = new Latencies();
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < operations) {
        next++;
        const t0 = performance.now();
        try {
          await fn();
        } catch {
          errors++;
        }
        latencies.record(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    name,
    operations,
    opsPerSecond: operations / seconds,
    p50Ms: latencies.at(50),
    p95Ms: latencies.at(95),
    p99Ms: latencies.at(99),
    errors,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function table(rows: Record<string, string | number>[]): string {
  const headers = Object.keys(rows[0]);
  const cells = rows.map((row) => headers.map((header) => String(row[header])));
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((row) => row[column].length)));
  const line = (values: string[]) => `| ${values.map((value, column) => value.padEnd(widths[column])).join(' | ')} |`;
  return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
