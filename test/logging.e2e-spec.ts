import { startApi, type ApiProcess } from './support/app-process.js';

/** The built API as a process: its stdout is what an operator's log shipper reads. */
describe('structured logs (e2e)', () => {
  let api: ApiProcess;

  beforeAll(async () => {
    // Every query logged (threshold 0) so each request below leaves lines of its own.
    api = await startApi(3914, { LOG_LEVEL: 'info', DB_SLOW_QUERY_MS: '0', RATE_LIMIT_ENABLED: 'false' });
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
    expect(registered.status).toBe(201);
    await settle();
    const queriesOf = (reqId: string) =>
      records().filter((record) => record.reqId === reqId && String(record.msg).startsWith('slow query'));
    expect(queriesOf('log-search-1').length).toBeGreaterThan(0);
    const userInserts = records().filter((record) => /INSERT INTO "public"."users"/.test(String(record.msg)));
    expect(
      userInserts.map((record) => record.reqId),
      JSON.stringify(userInserts),
    ).toEqual(['log-register-1']);
    // No query of one request is attributed to the other.
    expect(queriesOf('log-search-1').some((record) => String(record.msg).includes('INSERT'))).toBe(false);
    expect(api.output()).not.toContain('correct horse battery');
  });

  it('writes an access-log line per response, fast-path cache hits and generated ids included', async () => {
    await send('/products/123', 'log-product-miss');
    const hit = await send('/products/123', 'log-product-hit');
    expect(hit.headers.get('x-cache')).toMatch(/^(HIT|STALE)/); // STALE: an earlier run's entry
    const anonymous = await fetch(`${api.base}/no-such-route`);
    const generated = anonymous.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await settle();
    const access = (reqId: string) =>
      records().find((record) => record.reqId === reqId && record.msg === 'request completed');
    for (const reqId of ['log-product-miss', 'log-product-hit']) {
      expect(access(reqId)).toMatchObject({
        context: 'Http',
        method: 'GET',
        url: '/products/123',
        route: '/products/:id',
        status: 200,
        ms: expect.any(Number),
      });
    }
    expect(access(generated)).toMatchObject({ url: '/no-such-route', status: 404 });
  });
});
