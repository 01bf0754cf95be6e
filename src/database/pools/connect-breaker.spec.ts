import pg from 'pg';
import { tcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.js';
import { testConfig } from '../../../test/support/test-app.js';
import { CONNECT_RETRY_MS, ConnectBreaker } from './connect-breaker.js';

describe('connect breaker (real Postgres behind a proxy that refuses connections)', () => {
  let proxy: TcpProxy;
  let pool: pg.Pool;
  let connections = 0;

  beforeEach(async () => {
    proxy = await tcpProxy(Number(new URL(testConfig().DATABASE_URL).port));
    pool = new pg.Pool({
      connectionString: proxy.url(testConfig().DATABASE_URL),
      max: 2,
      connectionTimeoutMillis: 500,
      idleTimeoutMillis: 0,
    });
    pool.on('connect', () => connections++);
    pool.on('error', () => undefined);
    new ConnectBreaker(pool);
  });

  afterEach(async () => {
    await pool.end();
    await proxy.close();
  });

  const attempt = async () => {
    const started = performance.now();
    const result = await pool.query('SELECT 1').then(
      () => 'ok',
      (error: Error) => error.message,
    );
    return { result, ms: performance.now() - started };
  };

  it('fails checkouts at once after a failed connection attempt, lets one try again after a pause, and closes on its success', async () => {
    proxy.cut();
    expect((await attempt()).result).toMatch(/Connection terminated/);
    const refused = await Promise.all(Array.from({ length: 10 }, attempt));
    for (const { result, ms } of refused) {
      expect(result).toMatch(/^connection refused: the server refused a connection moments ago/);
      expect(ms).toBeLessThan(20);
    }

    proxy.restore();
    expect((await attempt()).result).toMatch(/^connection refused/);
    await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS + 20));
    const before = connections;
    const recovered = await Promise.all(Array.from({ length: 4 }, attempt));
    // One trial went to the server; the calls beside it were refused; after it, all succeed.
    expect(recovered.filter(({ result }) => result === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(connections - before).toBe(1);
    expect((await attempt()).result).toBe('ok');
    expect((await Promise.all(Array.from({ length: 4 }, attempt))).map(({ result }) => result)).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
  });

  it('is not tripped by a busy pool (the acquire timeout)', async () => {
    const held = await Promise.all([pool.connect(), pool.connect()]);
    expect((await attempt()).result).toBe('timeout exceeded when trying to connect');
    for (const client of held) client.release();
    expect((await attempt()).result).toBe('ok');
  });
});
