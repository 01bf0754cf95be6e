import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request as httpRequest } from 'node:http';
import type pg from 'pg';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Db } from '../src/database/index.js';
import { CpuPool } from '../src/cpu-pool/index.js';
import { exportStream } from '../src/orders/orders-export.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp, login } from './support/test-app.js';

describe('admin export and analytics (e2e)', () => {
  let app: NestFastifyApplication;
  let sql: pg.Client;
  let admin: Record<string, string>;
  let customer: Record<string, string>;
  const from = '2026-01-01T00:00:00Z';
  const to = '2026-04-01T00:00:00Z';

  beforeAll(async () => {
    // Statement counts are global: no readiness probes (a SELECT per pool each second) in between.
    app = await createTestApp({ HEALTH_PROBE_INTERVAL_MS: '60000' });
    sql = await connect();
    admin = await login(app, ADMIN_EMAIL);
    customer = await login(app, 'user5@example.com');
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
  });

  const get = (url: string, headers = admin) => app.inject({ method: 'GET', url, headers });
  it.each(['/admin/orders/export', '/admin/analytics/dashboard'])('%s: 401 anonymous, 403 customer', async (url) => {
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401);
    expect((await get(url, customer)).statusCode).toBe(403);
  });

  it('exports every order of the range as NDJSON, oldest first', async () => {
    const { rows } = await sql.query(
      'SELECT id FROM orders WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id',
      [from, to],
    );
    const response = await get(`/admin/orders/export?format=ndjson&from=${from}&to=${to}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    const lines = response.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((order) => order.id)).toEqual(rows.map((row) => row.id));
    expect(rows.length).toBeGreaterThan(1_000);
    expect(Object.keys(lines[0]).sort()).toEqual(['createdAt', 'currency', 'id', 'status', 'totalCents', 'userId']);
  });

  it.each(['ndjson', 'csv'])('compresses a %s export for a client that accepts gzip', async (format) => {
    const url = `/admin/orders/export?format=${format}&from=${from}&to=2026-01-15T00:00:00Z`;
    const plain = await get(url);
    const zipped = await app.inject({ method: 'GET', url, headers: { ...admin, 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(plain.body);
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
  });

  // gzip is made on the pool thread with the rest of the export; a client that takes brotli only
  // gets it from @fastify/compress, as for any other response.
  it.each([
    [{ 'accept-encoding': 'br, gzip;q=0.9' }, 'gzip'],
    [{ 'accept-encoding': '*' }, 'gzip'],
    [{ 'accept-encoding': 'x-gzip' }, 'gzip'],
    [{ 'accept-encoding': 'br' }, 'br'],
    [{ 'accept-encoding': 'identity' }, undefined],
    [{ 'accept-encoding': 'gzip;q=0, identity' }, undefined],
    [{ 'accept-encoding': 'gzip', 'x-no-compression': '1' }, undefined],
  ])('with %j: Content-Encoding %s, the same body', async (headers, encoding) => {
    const url = `/admin/orders/export?format=ndjson&from=${from}&to=2026-01-10T00:00:00Z`;
    const plain = await get(url);
    const response = await app.inject({ method: 'GET', url, headers: { ...admin, ...headers } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe(encoding);
    expect(response.headers.vary).toMatch(/accept-encoding/i);
    const body =
      encoding === 'gzip'
        ? gunzipSync(response.rawPayload)
        : encoding === 'br'
          ? brotliDecompressSync(response.rawPayload)
          : response.rawPayload;
    expect(body.toString()).toBe(plain.body);
  });

  it('exports CSV with a header', async () => {
    const response = await get(`/admin/orders/export?format=csv&from=${from}&to=2026-01-05T00:00:00Z`);
    expect(response.headers['content-type']).toContain('text/csv');
    const [header, first] = response.body.split('\n');
    expect(header).toBe('id,userId,status,totalCents,currency,createdAt');
    expect(first).toMatch(/^\d+,\d+,[a-z_]+,\d+,USD,\d{4}-/);
  });

  it.each([
    ['format=xml', 'query.format'],
    ['from=yesterday', 'query.from'],
    [`from=${to}&to=${from}`, 'query.from'],
    ['from=2020-01-01&to=2026-01-01', 'query.from'],
  ])('400 for %s', async (query, field) => {
    const response = await get(`/admin/orders/export?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe(field);
  });

  it('reads batch by batch as the consumer pulls, and stops when the stream is destroyed', async () => {
    const range = { from: new Date('2025-11-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z') };
    let queries = 0;
    const stream = exportStream(app.get(CpuPool), {
      connection: app.get(Db).readerEndpoint().session,
      range,
      format: 'ndjson',
      encoding: 'identity',
      batchSize: 100,
      onStatement: () => queries++,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const whilePaused = queries;
    // 20,000 orders are 200 batches of ~12 KB: a consumer that stopped pulling holds the producer
    // back to the stream's 16 KB read-ahead, the chunk the pool thread prepared and the query in
    // flight (≈ 5 batches).
    expect(whilePaused).toBeLessThan(10);
    stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(queries).toBeLessThanOrEqual(whilePaused + 1);
  });

  it('keeps answering after a client drops an export mid-stream', async () => {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    await new Promise<void>((resolve) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/admin/orders/export?from=2025-11-01T00:00:00Z&to=2026-11-01T00:00:00Z',
          headers: admin,
        },
        (response) => {
          response.once('data', () => request.destroy());
        },
      );
      request.on('error', () => undefined);
      request.on('close', () => resolve());
      request.end();
    });
    expect((await get('/admin/orders/export?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z')).statusCode).toBe(200);
  });

  it('computes the dashboard in SQL, matching an independent query, and caches it per hour', async () => {
    // A partly refunded sale counts what it kept.
    await sql.query(
      `UPDATE orders SET refunded_cents = least(total_cents, 100) WHERE id = (
         SELECT id FROM orders WHERE status = 'paid' AND created_at >= $1 AND created_at < $2 ORDER BY id LIMIT 1)`,
      [from, to],
    );
    const response = await get(`/admin/analytics/dashboard?from=${from}&to=${to}`);
    expect(response.statusCode).toBe(200);
    const dashboard = response.json();
    const {
      rows: [expected],
    } = await sql.query(
      `SELECT sum(total_cents - refunded_cents)::bigint AS revenue, count(*)::int AS count FROM orders
       WHERE status IN ('paid', 'shipped', 'delivered') AND created_at >= $1 AND created_at < $2`,
      [from, to],
    );
    expect(dashboard.revenueCents).toBe(Number(expected.revenue));
    expect(dashboard.orderCount).toBe(expected.count);
    expect(dashboard.averageOrderCents).toBe(Math.round(Number(expected.revenue) / expected.count));
    expect(dashboard.topProducts).toHaveLength(10);
    expect(dashboard.daily.reduce((sum: number, day: { orderCount: number }) => sum + day.orderCount, 0)).toBe(
      expected.count,
    );
    expect(dashboard.daily).toHaveLength(90);

    const statements = () =>
      app
        .get(Db)
        .snapshot()
        .queries.reduce((sum, row) => sum + row.count, 0);
    const before = statements();
    expect((await get(`/admin/analytics/dashboard?from=2026-01-01T00:10:00Z&to=${to}`)).json().revenueCents).toBe(
      dashboard.revenueCents,
    );
    expect(statements(), 'same hour bucket: served from the cache').toBe(before);
  });
});
