import pg from 'pg';
import type { MixRequest } from './load.js';
import { mulberry32 } from '../../scripts/db/seed-data.js';

/** How many product ids the pure-cache-hit cases spread their requests over (uniformly). */
export const HOT_IDS = 1_000;

/** `GET /products/:id` over `ids`, uniformly, from a seeded sequence (every stack gets the same). */
export function hotProducts(ids: readonly number[], seed = 5): () => MixRequest {
  const random = mulberry32(seed);
  return () => ({ path: `/products/${ids[Math.floor(random() * ids.length)]}` });
}

/** Asks for every id once, so that a cached stack answers the measured window from its cache. */
export async function warmHotSet(base: string, ids: readonly number[]): Promise<void> {
  for (let at = 0; at < ids.length; at += 50)
    await Promise.all(
      ids.slice(at, at + 50).map((id) => fetch(`${base}/products/${id}`).then((response) => response.arrayBuffer())),
    );
}

/** The first `count` active product ids (by id): the hot set the focused benchmarks read. */
export async function firstActiveProductIds(databaseUrl: string, count = HOT_IDS): Promise<number[]> {
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    const { rows } = await sql.query<{ id: number }>(
      `SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT $1`,
      [count],
    );
    return rows.map((row) => row.id);
  } finally {
    await sql.end();
  }
}
