/**
 * `npm run bench [-- name… | all] [--quick]`: runs benchmarks from bench/*.bench.ts, each in its
 * own process so that one cannot warm or slow another. Default: `store`, the suite beside the
 * peers; the others (cache, db-routing, orders, export, checkout, payloads, tracing) look at one technique each.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const available = readdirSync('bench')
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace('.bench.ts', ''));
const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const flags = process.argv.slice(2).filter((arg) => arg.startsWith('-'));
const chosen = names.includes('all') ? available : names.length ? names : ['store'];
for (const name of chosen) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== ${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.bench.ts`, ...flags], {
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
