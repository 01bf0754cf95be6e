/**
 * `npm run db:migrate` — applies pending migrations (same history table as `prisma migrate deploy`).
 * Usage: db:migrate [--url postgresql://...] [--dir prisma/migrations]
 * Each migration runs in one transaction; a failing one is rolled back, reported with its SQL
 * error, and marked rolled back in the history so that a fixed version can be applied next time.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { MIGRATIONS_DIR, NO_FILTERS, openSchemaEngine, panicRegistry, readMigrations } from './schema-engine.js';
import { loadDatabaseUrl } from '../../src/config/load-app-config.js';
import { describeError, ensureDatabase } from './db-utils.js';

const { values } = parseArgs({ options: { url: { type: 'string' }, dir: { type: 'string' } } });
const url = values.url ?? loadDatabaseUrl();
const database = new URL(url).pathname.slice(1);

await ensureDatabase(url);
const engine = await openSchemaEngine(url);
const migrationsList = await readMigrations(values.dir ? path.resolve(values.dir) : MIGRATIONS_DIR);
const total = migrationsList.migrationDirectories.length;
try {
  const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
  for (const name of appliedMigrationNames) console.log(`db:migrate: applied ${name}`);
  console.log(
    appliedMigrationNames.length
      ? `db:migrate: ${database}: ${appliedMigrationNames.length} applied, ${total} in history.`
      : `db:migrate: ${database} is up to date (${total} migrations).`,
  );
} catch (error) {
  console.error(`db:migrate failed on ${database}: ${describeError(error, panicRegistry.lastMessage)}`);
  // Either this run's failure, or one left by an older tool that did not roll back.
  const match = /migration_name="([^"]+)"|The `([^`]+)` migration started/.exec(describeError(error));
  const failed = match?.[1] ?? match?.[2];
  if (failed) {
    await engine.markMigrationRolledBack({ migrationName: failed });
    console.error(`db:migrate: ${failed} was rolled back and marked so; fix it and run db:migrate again.`);
  }
  process.exitCode = 1;
} finally {
  engine.free();
}
// The engine keeps its adapter's pool open (idle timeout 10 s); nothing else is pending.
process.exit();
