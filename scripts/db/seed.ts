/**
 * `npm run db:seed -- --scale small|bench [--if-empty] [--url …]`
 *
 * Deterministic (seeded RNG), skewed (a few products get most orders and reviews), fast (COPY),
 * re-runnable (truncates first). `small` takes seconds and is what tests and the quick start use;
 * `bench` is the benchmark's data set (100k products, 10k users, 1M orders, ~3M items, 500k reviews).
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadDatabaseUrl } from '../../src/config/load-app-config.js';
import { describeError } from './db-utils.js';
import { hash } from '@node-rs/argon2';
import { SEED_PASSWORD, SEED_SCALES, type SeedScale, seedRows } from './seed-data.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'small' },
    url: { type: 'string' },
    'if-empty': { type: 'boolean', default: false },
  },
});
const scaleName = values.scale as keyof typeof SEED_SCALES;
if (!(scaleName in SEED_SCALES)) {
  console.error(`db:seed: unknown scale "${values.scale}"; use ${Object.keys(SEED_SCALES).join(' or ')}`);
  process.exit(2);
}
const scale: SeedScale = SEED_SCALES[scaleName];
const url = values.url ?? loadDatabaseUrl();

const TABLES = ['categories', 'users', 'products', 'orders', 'order_items', 'reviews'] as const;
const COLUMNS: Record<(typeof TABLES)[number], string> = {
  categories: 'id, name, slug, created_at',
  // Seeded users count as verified (only new sign-ups start unverified).
  users: 'id, email, name, password_hash, role, created_at, updated_at, email_verified_at',
  products: 'id, sku, name, description, price_cents, currency, stock, status, category_id, created_at, updated_at',
  orders: 'id, user_id, status, total_cents, currency, created_at, updated_at',
  order_items: 'id, order_id, product_id, quantity, unit_price_cents',
  reviews: 'id, product_id, user_id, rating, comment, created_at',
};

const client = new pg.Client({ connectionString: url, application_name: 'store-api:seed' });
try {
  await client.connect();
  if (values['if-empty']) {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM products');
    if (Number(rows[0].n) > 0) {
      console.log(`db:seed: ${database()} already has data; --if-empty leaves it as it is.`);
      process.exit(0);
    }
  }
  await seed();
} catch (error) {
  console.error(`db:seed failed: ${describeError(error)}`);
  process.exitCode = 1;
} finally {
  await client.end();
}

async function seed(): Promise<void> {
  const started = performance.now();
  const expected = scale.expectedRows;
  const progress = createProgress(expected);
  let written = 0;

  await client.query('BEGIN');
  await client.query(
    `TRUNCATE ${[...TABLES, 'outbox_events', 'idempotency_keys', 'email_deliveries', 'api_keys', 'account_tokens'].join(', ')} RESTART IDENTITY CASCADE`,
  );
  // Bulk-load the way Postgres likes it: secondary indexes rebuilt once at the end instead of row
  // by row, FREEZE (legal right after TRUNCATE in the same transaction), and no per-row FK checks
  // (the generated data is consistent by construction; needs superuser, skipped otherwise).
  const indexes = await dropSecondaryIndexes();
  const { rows: role } = await client.query<{ rolsuper: boolean }>(
    'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
  );
  if (role[0]?.rolsuper) await client.query('SET LOCAL session_replication_role = replica');
  await client.query("SET LOCAL maintenance_work_mem = '512MB'");
  const generator = seedRows(scale, await hash(SEED_PASSWORD));
  for (const table of TABLES) {
    const copy = client.query(copyFrom(`COPY ${table} (${COLUMNS[table]}) FROM STDIN WITH (FREEZE)`));
    const source = Readable.from(
      (function* () {
        let batch = '';
        for (const line of generator[table]()) {
          batch += line;
          written++;
          if (batch.length > 256_000) {
            progress.update(written);
            yield batch;
            batch = '';
          }
        }
        if (batch) yield batch;
        progress.update(written);
      })(),
    );
    await pipeline(source, copy);
    // Keep ids from sequences after explicit ids: later inserts must not collide.
    await client.query(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM ${table}), false)`,
    );
  }
  for (const definition of indexes) await client.query(definition);
  await client.query('COMMIT');
  progress.stop();
  const copySeconds = (performance.now() - started) / 1000;
  await client.query('ANALYZE');

  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0].n);
  }
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  console.log(
    `db:seed: ${database()} seeded at scale ${scaleName} in ${copySeconds.toFixed(1)} s (${Math.round(total / copySeconds).toLocaleString('en')} rows/s)`,
  );
  for (const [table, n] of Object.entries(counts))
    console.log(`  ${table.padEnd(12)} ${n.toLocaleString('en').padStart(12)}`);
}

/** Drops the indexes that back no constraint and returns the statements that recreate them. */
async function dropSecondaryIndexes(): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
      WHERE i.indrelid = ANY($1::regclass[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    [TABLES],
  );
  for (const { name } of rows) await client.query(`DROP INDEX ${name}`);
  return rows.map((row) => row.definition);
}

function database(): string {
  return new URL(url).pathname.slice(1);
}

interface Progress {
  update(done: number): void;
  stop(): void;
}

/** A bar on a terminal; on CI (no TTY) a line every 10 %. */
function createProgress(total: number): Progress {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'db:seed [{bar}] {percentage}% {value}/{total} rows, {eta}s left', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(Math.min(done, total)), stop: () => bar.stop() };
  }
  let nextReport = 0.1;
  return {
    update(done) {
      if (done / total < nextReport) return;
      console.log(`db:seed: ${Math.min(100, Math.round((done / total) * 100))}% (${done.toLocaleString('en')} rows)`);
      nextReport = Math.floor((done / total) * 10 + 1) / 10;
    },
    stop() {},
  };
}
