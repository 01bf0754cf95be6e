/** Prometheus text from `/metrics`, as `name{labels}` → value (comments and blank lines dropped). */
export async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
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
