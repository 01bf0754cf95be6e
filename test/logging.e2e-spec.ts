import { startApi, type ApiProcess } from './support/app-process.js';

/** The built API as a process: its stdout is what an operator's log shipper reads. */
describe('structured logs (e2e)', () => {
  let api: ApiProcess;

  beforeAll(async () => {
    // Every query logged (threshold 0) so each request below leaves lines of its own.
    // Cache hits logged one in 10 (the default is 100), to see the sampling in a few requests.
    api = await startApi(3914, {
      LOG_LEVEL: 'info',
      DB_SLOW_QUERY_MS: '0',
      RATE_LIMIT_ENABLED: 'false',
      LOG_CACHE_HITS_ONE_IN: '10',
    });
  });

  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  const lines = () =>
    api
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
  const records = () => lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  const send = (path: string, requestId: string, init: RequestInit = {}) =>
    fetch(`${api.base}${path}`, { ...init, headers: { 'x-request-id': requestId, ...init.headers } });
  /** Waits for pino's writes to reach the pipe. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('writes one JSON object per line with level, time, pid and message', async () => {
    await send('/products?limit=1', 'log-list-1');
    await settle();
    const all = lines();
    expect(all.length).toBeGreaterThan(10);
    for (const line of all) {
      const record = JSON.parse(line);
      expect(record, line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), pid: api.child.pid });
      expect(typeof record.msg, line).toBe('string');
    }
  });

  it('tags the queries a request runs with its request id, bodies included', async () => {
    // A term of its own: a cached search (an earlier run's) would run no query.
    const search = await send(`/products/search?q=wireless+log${Date.now()}`, 'log-search-1');
    expect(search.status).toBe(200);
    const email = `log-${Date.now()}@example.com`;
    const registered = await send('/auth/register', 'log-register-1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, name: 'Log Test', password: 'correct horse battery' }),
    });
    expect(registered.status).toBe(202);
    await settle();
    const queriesOf = (reqId: string) =>
      records().filter((record) => record.reqId === reqId && String(record.msg).startsWith('slow query'));
    expect(queriesOf('log-search-1').length).toBeGreaterThan(0);
    const userInserts = records().filter((record) => /INSERT INTO users\b/.test(String(record.msg)));
    expect(
      userInserts.map((record) => record.reqId),
      JSON.stringify(userInserts),
    ).toEqual(['log-register-1']);
    // No query of one request is attributed to the other.
    expect(queriesOf('log-search-1').some((record) => String(record.msg).includes('INSERT'))).toBe(false);
    expect(api.output()).not.toContain('correct horse battery');
  });

  it('writes an access-log line per response, one in N for cache hits (sampled: N), generated ids included', async () => {
    const miss = await send('/products/123?fields=id,name', 'log-product-miss');
    expect(miss.headers.get('x-cache')).toMatch(/^(MISS|STALE)/); // STALE: an earlier run's entry
    const hits = [];
    for (let i = 0; i < 20; i++) hits.push(await send('/products/123?fields=id,name', `log-product-hit-${i}`));
    expect(hits.every((hit) => hit.headers.get('x-cache') === 'HIT')).toBe(true);
    const anonymous = await fetch(`${api.base}/no-such-route`);
    const generated = anonymous.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await settle();
    const access = (reqId: string) =>
      records().find((record) => record.reqId === reqId && record.msg === 'request completed');
    const line = { context: 'Http', method: 'GET', route: '/products/:id', status: 200, ms: expect.any(Number) };
    expect(access('log-product-miss')).toMatchObject({ ...line, url: '/products/123?fields=id,name' });
    expect(access('log-product-miss')?.sampled).toBeUndefined();
    // 20 hits in a row: every 10th is logged, and says it stands for 10.
    const logged = hits.map((_, i) => access(`log-product-hit-${i}`)).filter(Boolean);
    expect(logged).toHaveLength(2);
    for (const record of logged) expect(record).toMatchObject({ ...line, sampled: 10 });
    expect(access(generated)).toMatchObject({ url: '/no-such-route', status: 404 });
  });
});
