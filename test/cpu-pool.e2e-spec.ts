import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { CpuPool, cpuTask } from '../src/cpu-pool/index.js';
import { FIELD_SEPARATOR, formatOrderLines } from '../src/orders/orders-lines.task.js';
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
  const formatTask = cpuTask(import.meta.url, '../src/orders/orders-lines.task', 'formatOrderLines', formatOrderLines);

  it('stops its threads when the app closes; later tasks are refused', async () => {
    const app = await createTestApp({ CPU_POOL_THREADS: '2' });
    const pool = app.get(CpuPool);
    expect(pool.threads).toBe(2);
    const text = ['1', '2', 'paid', '300', 'USD', 'x'].join(FIELD_SEPARATOR);
    const bytes = await pool.run(formatTask, { format: 'csv', text });
    expect(Buffer.from(bytes).toString()).toBe('1,2,paid,300,USD,x\n');
    await app.close();
    expect(pool.threads).toBe(0);
    await expect(pool.run(formatTask, { format: 'csv', text })).rejects.toThrow();
  });
});
