import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync, readdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { CpuPool, cpuTask } from '../src/cpu-pool/index.js';
import { Db } from '../src/database/index.js';
import { exportStream, type ExportStreamOptions } from '../src/orders/orders-export.js';
import { OrdersRepository } from '../src/orders/orders.repository.js';
import { FIELD_SEPARATOR, formatOrderText } from '../src/orders/orders-lines.task.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp, login } from './support/test-app.js';

// The whole seeded year (20,000 orders: 20 batches), so every batch boundary is crossed.
const RANGE = 'from=2025-11-01T00:00:00Z&to=2026-11-01T00:00:00Z';

/** What the export wrote before it moved to the pool: one `JSON.stringify(row)` or CSV line per row. */
async function expectedExport(sql: pg.Client, format: 'ndjson' | 'csv'): Promise<Buffer> {
  const { rows } = await sql.query(
    `SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents", currency,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"
     FROM orders WHERE created_at >= '2025-11-01T00:00:00Z' AND created_at < '2026-11-01T00:00:00Z'
     ORDER BY created_at, id`,
  );
  const lines = rows.map((row) =>
    format === 'csv'
      ? `${row.id},${row.userId},${row.status},${row.totalCents},${row.currency},${row.createdAt}\n`
      : `${JSON.stringify(row)}\n`,
  );
  return Buffer.from((format === 'csv' ? 'id,userId,status,totalCents,currency,createdAt\n' : '') + lines.join(''));
}

describe.each([
  ['on a pool thread', '1'],
  ['inline', '0'],
])('orders export formatted %s (CPU_POOL_THREADS=%s)', (_how, threads) => {
  let app: NestFastifyApplication;
  let sql: pg.Client;
  let admin: Record<string, string>;

  beforeAll(async () => {
    app = await createTestApp({ CPU_POOL_THREADS: threads });
    sql = await connect();
    admin = await login(app, ADMIN_EMAIL);
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
  });

  it('runs with the configured threads', () => {
    expect(app.get(CpuPool).threads).toBe(Number(threads));
  });

  it.each(['ndjson', 'csv'] as const)(
    '%s: byte for byte what the inline formatter wrote, every row',
    async (format) => {
      const response = await app.inject({
        method: 'GET',
        url: `/admin/orders/export?format=${format}&${RANGE}`,
        headers: admin,
      });
      expect(response.statusCode).toBe(200);
      const expected = await expectedExport(sql, format);
      expect(expected.toString().split('\n').length).toBeGreaterThan(19_000);
      expect(response.rawPayload.equals(expected)).toBe(true);
    },
  );
});

describe('CpuPool', () => {
  const formatTask = cpuTask(import.meta.url, '../src/orders/orders-lines.task', 'formatOrderText', formatOrderText);

  it('stops its threads when the app closes; later tasks are refused', async () => {
    const app = await createTestApp({ CPU_POOL_THREADS: '2' });
    const pool = app.get(CpuPool);
    expect(pool.threads).toBe(2);
    const text = ['1', '2', 'paid', '300', 'USD', 'x'].join(FIELD_SEPARATOR);
    expect(await pool.run(formatTask, { format: 'csv', text })).toBe('1,2,paid,300,USD,x\n');
    await app.close();
    expect(pool.threads).toBe(0);
    await expect(pool.run(formatTask, { format: 'csv', text })).rejects.toThrow();
  });
});

describe('orders export on a pool thread (CPU_POOL_THREADS=1)', () => {
  let app: NestFastifyApplication;
  const range = { from: new Date('2025-11-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z') };

  beforeAll(async () => {
    app = await createTestApp({ CPU_POOL_THREADS: '1', HEALTH_PROBE_INTERVAL_MS: '60000' });
  });

  afterAll(async () => {
    await app?.close();
  });

  const exportOf = (job: Partial<ExportStreamOptions> = {}) =>
    exportStream(app.get(CpuPool), {
      ...app.get(OrdersRepository).exportSource(),
      range,
      format: 'csv',
      encoding: 'identity',
      ...job,
    });

  it("runs an export while another waits on its client: one slow download holds no one else's", async () => {
    const held = exportOf({ batchSize: 100 });
    try {
      await held[Symbol.asyncIterator]().next();
      expect((await text(exportOf())).split('\n').length).toBeGreaterThan(19_000);
    } finally {
      held.destroy();
    }
  });

  it('keeps to its pace: 20,000 rows at 10,000 a second take two seconds, not a few hundred ms', async () => {
    const started = performance.now();
    expect((await text(exportOf({ rowsPerSecond: 10_000 }))).split('\n').length).toBeGreaterThan(19_000);
    // Each batch of 1,000 takes its 100 ms (20 or more of them).
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_850);
  });

  it('reads from a replica in rotation, and counts its statements in that pool', async () => {
    const db = app.get(Db);
    const replicaSelects = () =>
      db
        .snapshot()
        .queries.filter((row) => row.pool.startsWith('replica') && row.operation === 'select')
        .reduce((sum, row) => sum + row.count, 0);
    const [{ orders }] = await db.primary.$queryRaw<{ orders: number }[]>`
      SELECT count(*)::int AS orders FROM orders WHERE created_at >= ${range.from} AND created_at < ${range.to}`;
    const before = replicaSelects();
    await text(exportOf());
    // Batches of 1,000: the full ones, then a short one or, after a full one, an empty read.
    expect(replicaSelects() - before).toBe(Math.floor(orders / 1_000) + 1);
  });

  it('fails the stream with the reason when the database cannot be read', async () => {
    const connection = {
      ...app.get(Db).readerEndpoint().session,
      connectionString: 'postgresql://postgres@127.0.0.1:1/store_test',
    };
    await expect(text(exportOf({ connection }))).rejects.toThrow(/^the export failed: .*Can't reach database server/);
  });

  it('runs its threads at nice 10: the event loop comes first on busy cores', () => {
    // Field 19 of a task's stat; a thread that ended since the listing has none.
    const nice = (tid: string) => {
      try {
        return Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
      } catch {
        return undefined;
      }
    };
    const threads = readdirSync('/proc/self/task');
    expect(threads.filter((tid) => nice(tid) === 10).length).toBeGreaterThanOrEqual(1);
    expect(nice(String(process.pid))).toBe(0);
  });
});

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk;
  return out;
}
