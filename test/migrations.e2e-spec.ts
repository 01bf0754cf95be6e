import { cp, mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { runScript } from './support/run.js';
import { connect } from './support/sql.js';
import { testConfig } from './support/test-app.js';

describe('db:migrate (WASM schema engine, offline)', () => {
  const database = `store_migrate_${process.pid}`;
  const url = testConfig().DATABASE_URL.replace(/\/[^/]+$/, `/${database}`);
  let admin: pg.Client;
  let migrationNames: string[];

  beforeAll(async () => {
    admin = await connect(testConfig().DATABASE_URL.replace(/\/[^/]+$/, '/postgres'));
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    migrationNames = (await readdir('prisma/migrations', { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  });

  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  async function history(): Promise<
    { migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }[]
  > {
    const client = await connect(url);
    try {
      return (
        await client.query(
          'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
        )
      ).rows;
    } finally {
      await client.end();
    }
  }

  it('creates the database, applies every migration, and a second run applies nothing', async () => {
    const first = await runScript('scripts/db/migrate.ts', ['--url', url]);
    expect(first.code, first.stderr).toBe(0);
    for (const name of migrationNames) expect(first.stdout).toContain(`applied ${name}`);
    expect((await history()).map((row) => row.migration_name)).toEqual(migrationNames);

    const second = await runScript('scripts/db/migrate.ts', ['--url', url]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('is up to date');
    expect(second.stdout).not.toContain('applied');
    const rows = await history();
    expect(rows).toHaveLength(migrationNames.length);
    expect(rows.every((row) => row.finished_at !== null)).toBe(true);
  });

  it('reports a failing migration with its SQL error, rolls it back whole, and keeps the history consistent', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    try {
      await cp('prisma/migrations', dir, { recursive: true });
      const broken = '29990101000000_broken';
      await mkdir(path.join(dir, broken));
      await writeFile(
        path.join(dir, broken, 'migration.sql'),
        'CREATE TABLE "half_written" (id int);\nALTER TABLE "no_such_table" ADD COLUMN x int;\n',
      );
      const result = await runScript('scripts/db/migrate.ts', ['--url', url, '--dir', dir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no_such_table/);
      expect(result.stderr).toContain(`${broken} was rolled back`);

      const client = await connect(url);
      try {
        const { rows } = await client.query(`SELECT to_regclass('half_written') AS table`);
        expect(rows[0].table, 'the first statement of the failed migration must not survive').toBeNull();
      } finally {
        await client.end();
      }
      const failed = (await history()).filter((row) => row.migration_name === broken);
      expect(failed).toHaveLength(1);
      expect(failed[0].finished_at).toBeNull();
      expect(failed[0].rolled_back_at).not.toBeNull();

      // The real folder still migrates cleanly afterwards: nothing is stuck.
      const again = await runScript('scripts/db/migrate.ts', ['--url', url]);
      expect(again.code, again.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('db:migration:create finds nothing to write when the schema matches the migrations', async () => {
    const result = await runScript('scripts/db/create-migration.ts', ['no_changes', '--url', url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('nothing to write');
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'`,
    );
    expect(rows[0].n, 'the shadow database is dropped').toBe(0);
  });
});
