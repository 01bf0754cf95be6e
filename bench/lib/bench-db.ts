import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { loadAppConfig } from '../../src/config/load-app-config.js';

/** The bench-scale database: migrated, and seeded at bench scale if it is not yet. */
export async function ensureBenchDatabase(): Promise<{ url: string; replicaUrls: string[] }> {
  const base = loadAppConfig({ ...process.env, NODE_ENV: 'development' });
  const name = process.env.BENCH_DATABASE ?? 'store_bench';
  const url = base.DATABASE_URL.replace(/\/[^/]+$/, `/${name}`);
  const run = (script: string, args: string[]) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', script, '--url', url, ...args], {
      stdio: 'inherit',
    });
    if (result.status !== 0) throw new Error(`${script} failed`);
  };
  run('scripts/db/migrate.ts', []);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: string; hashed: boolean }>(
    `SELECT (SELECT count(*) FROM orders) AS n, (SELECT password_hash LIKE '$argon2%' FROM users WHERE id = 1) AS hashed`,
  );
  await client.end();
  if (Number(rows[0].n) < 1_000_000 || !rows[0].hashed) run('scripts/db/seed.ts', ['--scale', 'bench']);
  return { url, replicaUrls: base.DATABASE_REPLICA_URLS.map((replica) => replica.replace(/\/[^/]+$/, `/${name}`)) };
}
