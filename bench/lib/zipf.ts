import { mulberry32 } from '../../scripts/db/seed-data.js';

/**
 * Zipf(s) over `n` items: rank k is drawn with probability ∝ 1/k^s. Ranks map to ids through a
 * seeded shuffle, so the hot products are spread over the table rather than being ids 1, 2, 3…
 */
export function zipfSampler(ids: readonly number[], { s = 1, seed = 42 } = {}): () => number {
  const random = mulberry32(seed);
  const shuffled = [...ids];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const cumulative = new Float64Array(shuffled.length);
  let total = 0;
  for (let k = 0; k < shuffled.length; k++) cumulative[k] = total += 1 / (k + 1) ** s;
  return () => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return shuffled[low];
  };
}
