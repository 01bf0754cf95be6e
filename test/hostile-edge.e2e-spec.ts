import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import { loginOver, startApi, type ApiProcess } from './support/app-process.js';
import { spliceBytes } from './support/hostile-encoding.js';
import { rawExchange } from './support/raw-http.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL } from './support/test-app.js';

/**
 * What arrives before the handlers, against the built API as a process (real sockets, Node's own
 * HTTP parser): bytes that are not UTF-8 in bodies and query strings, media types, and requests
 * the HTTP parser refuses. Every refusal is a problem document, and refused writes write nothing.
 */
const PORT = 3971;
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28]);

describe('hostile input at the HTTP edge (the built API as a process)', () => {
  let api: ApiProcess;
  let sql: pg.Client;
  let customer: { email: string; id: number; authorization: string };

  beforeAll(async () => {
    api = await startApi(PORT, {
      LOG_LEVEL: 'warn',
      RATE_LIMIT_DEFAULT: '1000000',
      RATE_LIMIT_AUTH: '1000000',
      RATE_LIMIT_ACCOUNT: '1000000',
      RATE_LIMIT_SEARCH: '1000000',
    });
    sql = await connect();
    const email = `edge-${randomUUID()}@example.com`;
    const signUp = await post('/auth/register', { email, password: 'password', name: 'Edge' });
    expect(signUp.status).toBe(202);
    // Verified as following the emailed token would (accounts.e2e-spec.ts): checkout and reviews need it.
    const { rows } = await sql.query<{ id: number }>(
      'UPDATE users SET email_verified_at = now() WHERE email = $1 RETURNING id',
      [email],
    );
    customer = { email, id: rows[0].id, authorization: await loginOver(api, email) };
  }, 60_000);

  afterAll(async () => {
    await sql?.end();
    await api?.stop();
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });

  const spliced = (body: Record<string, unknown>, field: string) => spliceBytes(body, field, NOT_UTF8);

  const expectProblem = async (response: Response, status: number, type?: string) => {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(text);
    expect(problem).toMatchObject({ status, title: expect.any(String), type: expect.stringMatching(/^https:/) });
    if (type) expect(problem.type).toMatch(new RegExp(`/${type}$`));
    return problem;
  };

  const count = async (query: string, params: unknown[]) => Number((await sql.query(query, params)).rows[0].n);

  describe('bodies that are not UTF-8: a 400 problem, nothing written', () => {
    it('sign-up: no user', async () => {
      const email = `edge-${randomUUID()}@example.com`;
      const response = await post('/auth/register', spliced({ email, password: 'password' }, 'name'));
      const problem = await expectProblem(response, 400, 'invalid-utf8');
      expect(problem.detail).toMatch(/body is not valid UTF-8/);
      expect(problem.errors).toEqual([{ field: 'body', message: 'must be valid UTF-8' }]);
      expect(await count('SELECT count(*) AS n FROM users WHERE email = $1', [email])).toBe(0);
    });

    it('checkout: no order, no charge, no idempotency key', async () => {
      const key = `edge-${randomUUID()}`;
      const body = spliced({ items: [{ productId: 3, quantity: 1 }] }, 'paymentToken');
      const response = await post('/checkout', body, { authorization: customer.authorization, 'idempotency-key': key });
      await expectProblem(response, 400, 'invalid-utf8');
      expect(await count('SELECT count(*) AS n FROM orders WHERE user_id = $1', [customer.id])).toBe(0);
      expect(await count('SELECT count(*) AS n FROM idempotency_keys WHERE key = $1', [key])).toBe(0);
    });

    it('review: no review, also when the body comes gzipped', async () => {
      const body = spliced({ rating: 4 }, 'comment');
      for (const [payload, headers] of [
        [body, {}],
        [gzipSync(body), { 'content-encoding': 'gzip' }],
      ] as const) {
        const response = await post('/products/5/reviews', payload, {
          authorization: customer.authorization,
          ...headers,
        });
        await expectProblem(response, 400, 'invalid-utf8');
      }
      expect(await count('SELECT count(*) AS n FROM reviews WHERE user_id = $1', [customer.id])).toBe(0);
    });

    it('keeps valid multi-byte text exactly as sent', async () => {
      const email = `edge-${randomUUID()}@example.com`;
      const name = 'Zoë Ωmega 🦄 日本';
      const response = await post('/auth/register', Buffer.from(JSON.stringify({ email, password: 'password', name })));
      expect(response.status, await response.clone().text()).toBe(202);
      const { rows } = await sql.query('SELECT name FROM users WHERE email = $1', [email]);
      expect(rows).toEqual([{ name }]);
    });

    it('JSON in another charset is a 415', async () => {
      const response = await post(
        '/auth/login',
        { email: ADMIN_EMAIL, password: 'password' },
        {
          'content-type': 'application/json; charset=utf-16',
        },
      );
      const problem = await expectProblem(response, 415);
      expect(problem.detail).toMatch(/UTF-8/);
    });
  });

  describe('query strings', () => {
    it('refuses escapes that decode to invalid UTF-8 with a 400 problem, on any route', async () => {
      for (const url of [
        '/products/search?q=%FF%FE',
        '/products/search?q=caf%C3%28',
        '/products?fields=id&sort=%E0%A4',
        '/products/1?fields=%ED%A0%80',
        '/admin/queues/api/queues?activeQueue=%C0%AE',
      ]) {
        const problem = await expectProblem(await fetch(`${api.base}${url}`), 400, 'invalid-utf8');
        expect(problem.errors, url).toEqual([{ field: 'query', message: expect.stringMatching(/UTF-8/) }]);
        expect(problem.instance).toBe(url.split('?')[0]);
      }
    });

    it('still takes valid escapes and lone percent signs', async () => {
      expect((await fetch(`${api.base}/products/search?q=caf%C3%A9`)).status).toBe(200);
      expect((await fetch(`${api.base}/products/search?q=100%25%20wool`)).status).toBe(200);
      expect((await fetch(`${api.base}/products/search?q=50%`)).status).toBe(200);
    });

    it('refuses such a path too', async () => {
      await expectProblem(await fetch(`${api.base}/products/%FF%FE`), 400);
    });
  });

  describe('media types', () => {
    it('answers every body that is not JSON with one 415 problem', async () => {
      for (const type of [
        'text/plain',
        'text/plain; charset=utf-8',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
      ]) {
        const response = await post('/auth/login', `{"email":"${ADMIN_EMAIL}","password":"password"}`, {
          'content-type': type,
        });
        await expectProblem(response, 415, 'unsupported-media-type');
      }
      const untyped = await fetch(`${api.base}/auth/login`, {
        method: 'POST',
        body: new Uint8Array(Buffer.from('{}')),
      });
      await expectProblem(untyped, 415);
    });

    it('serves routes that take no body without a content type, with an empty body', async () => {
      const admin = await loginOver(api, ADMIN_EMAIL);
      const created = await post(
        '/products',
        { sku: `EDGE-${randomUUID().slice(0, 8).toUpperCase()}`, name: 'Edge', priceCents: 100, categoryId: 1 },
        { authorization: admin },
      );
      expect(created.status).toBe(201);
      const { id } = await created.json();
      const archived = await fetch(`${api.base}/products/${id}`, {
        method: 'DELETE',
        headers: { authorization: admin, 'content-length': '0' },
      });
      expect(archived.status, await archived.clone().text()).toBeLessThan(300);
      // Bull Board's body-less PUT reaches the board (an unknown queue: its 404), not a 415.
      const board = await fetch(`${api.base}/admin/queues/api/queues/no-such-queue/pause`, {
        method: 'PUT',
        headers: { authorization: admin },
      });
      expect(board.status).toBe(404);
    });
  });

  describe('requests the HTTP parser refuses (raw sockets)', () => {
    const expectRawProblem = (
      response: { status: number; headers: Record<string, string>; body: string },
      status: number,
    ) => {
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.headers['connection']).toBe('close');
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
      expect(JSON.parse(response.body)).toMatchObject({
        status,
        type: expect.stringMatching(/^https:/),
        detail: expect.any(String),
      });
    };

    it('431 problem for a 20 KB URL and for a 100 KB header', async () => {
      const [longUrl] = await rawExchange(PORT, `GET /products?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expectRawProblem(longUrl, 431);
      const [bigHeader] = await rawExchange(PORT, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
      expectRawProblem(bigHeader, 431);
    });

    it('400 problem for a raw 0xFF byte in the request line, and for garbage', async () => {
      const request = Buffer.concat([
        Buffer.from('GET /pro'),
        Buffer.from([0xff]),
        Buffer.from('ducts HTTP/1.1\r\nHost: x\r\n\r\n'),
      ]);
      const [response] = await rawExchange(PORT, request);
      expectRawProblem(response, 400);
      expect(JSON.parse(response.body).detail).toMatch(/not valid HTTP/);
      expectRawProblem((await rawExchange(PORT, '\u0001\u0002 nonsense\r\n\r\n'))[0], 400);
    });

    it('answers the good request before a bad one on the same connection, then closes it', async () => {
      const responses = await rawExchange(
        PORT,
        Buffer.concat([
          Buffer.from('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'),
          Buffer.from('GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header: \u0000\r\n\r\n'),
        ]),
      );
      expect(responses.map((response) => response.status)).toEqual([200, 400]);
      expectRawProblem(responses[1], 400);
      expect((await fetch(`${api.base}/health/live`)).status).toBe(200);
    });
  });
});
