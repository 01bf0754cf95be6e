import { JwtService } from '@nestjs/jwt';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../src/config/index.js';
import { scanned } from './support/secret-scan.js';
import { ADMIN_EMAIL, createTestApp, login } from './support/test-app.js';

describe('auth (e2e)', () => {
  let app: NestFastifyApplication;
  const email = `new-${Date.now()}@example.com`;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    expect(scanned.bodies).toBeGreaterThan(0);
    await app?.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers });

  it('registers, then logs in, then knows who is calling', async () => {
    const registered = await post('/auth/register', {
      email: email.toUpperCase(),
      password: 'correct horse',
      name: 'New Customer',
    });
    // No session: the same "check your inbox" whether or not the address is taken (accounts.e2e-spec.ts).
    expect(registered.statusCode).toBe(202);
    expect(registered.json()).toEqual({ status: 'accepted', detail: expect.any(String) });

    const headers = await login(app, email, 'correct horse');
    const me = await app.inject({ method: 'GET', url: '/me', headers });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email, role: 'customer' });
  });

  it('answers a second sign-up with the same email as the first (202), whatever the case, and keeps the account', async () => {
    const first = await post('/auth/register', { email: `other-${email}`, password: 'another one', name: 'Other' });
    const again = await post('/auth/register', { email, password: 'another one', name: 'Twin' });
    expect(again.statusCode).toBe(202);
    expect(again.body).toBe(first.body);
    // The password of the account is the first one's.
    expect((await post('/auth/login', { email, password: 'another one' })).statusCode).toBe(401);
    expect((await post('/auth/login', { email, password: 'correct horse' })).statusCode).toBe(200);
  });

  it('answers a wrong password and an unknown email alike (401)', async () => {
    const wrong = await post('/auth/login', { email, password: 'not the password' });
    const unknown = await post('/auth/login', { email: 'nobody@example.com', password: 'whatever1' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
  });

  it.each([
    ['missing fields', {}, ['body.email', 'body.password', 'body.name']],
    ['bad email', { email: 'not-an-email', password: 'long enough', name: 'x' }, ['body.email']],
    ['short password', { email: 'a@example.com', password: 'short', name: 'x' }, ['body.password']],
    ['unknown field', { email: 'b@example.com', password: 'long enough', name: 'x', role: 'admin' }, ['body']],
    ['wrong types', { email: 42, password: ['x'], name: null }, ['body.email', 'body.password', 'body.name']],
  ])('rejects registration with %s (400, field messages)', async (_label, payload, fields) => {
    const response = await post('/auth/register', payload);
    expect(response.statusCode).toBe(400);
    expect(
      response
        .json()
        .errors.map((error: { field: string }) => error.field)
        .sort(),
    ).toEqual([...fields].sort());
  });

  it('rejects malformed JSON with a 400 problem, not a 500', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 401 on /me without a token, with a bad token, or an expired one', async () => {
    expect((await app.inject({ method: 'GET', url: '/me' })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Bearer not.a.token' } })).statusCode,
    ).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Basic abc' } })).statusCode).toBe(
      401,
    );
    const expired = await createTestApp({ JWT_TTL_S: '60' });
    try {
      const headers = await login(expired, ADMIN_EMAIL);
      const forged = headers.authorization.slice(0, -4) + 'AAAA';
      expect((await app.inject({ method: 'GET', url: '/me', headers: { authorization: forged } })).statusCode).toBe(
        401,
      );
    } finally {
      await expired.close();
    }
  });

  it('refuses a token without an expiry, even one signed with the secret', async () => {
    const endless = new JwtService({ secret: app.get(AppConfig).JWT_SECRET }).sign({ sub: '1', role: 'admin' });
    for (let attempt = 0; attempt < 2; attempt++)
      expect(
        (await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${endless}` } })).statusCode,
      ).toBe(401);
  });

  it('logs in a seeded admin', async () => {
    const me = await app.inject({ method: 'GET', url: '/me', headers: await login(app, ADMIN_EMAIL) });
    expect(me.json()).toMatchObject({ email: ADMIN_EMAIL, role: 'admin' });
  });

  it('answers authenticated routes as private, never stored by a shared cache', async () => {
    const me = await app.inject({ method: 'GET', url: '/me', headers: await login(app, ADMIN_EMAIL) });
    expect(me.statusCode).toBe(200);
    expect(me.headers['cache-control']).toBe('private, no-store');
  });

  it('caps concurrent password hashes: past the queue, a 503 problem with Retry-After, and nothing written', async () => {
    const tight = await createTestApp({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' });
    try {
      const stamp = Date.now();
      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          tight.inject({
            method: 'POST',
            url: '/auth/register',
            payload: { email: `flood-${stamp}-${i}@example.com`, password: 'correct horse', name: 'Flood' },
          }),
        ),
      );
      const statuses = responses.map((response) => response.statusCode).sort();
      // One hashing, one waiting: the rest are turned away at once.
      expect(statuses.filter((status) => status === 202).length).toBeGreaterThanOrEqual(2);
      const busy = responses.filter((response) => response.statusCode === 503);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      for (const response of busy) {
        expect(response.headers['retry-after']).toBe('1');
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
      expect(statuses.every((status) => status === 202 || status === 503)).toBe(true);
      // Refused sign-ups left no account behind (logins one at a time: the cap applies to them too).
      for (const [i, response] of responses.entries()) {
        const login = await tight.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { email: `flood-${stamp}-${i}@example.com`, password: 'correct horse' },
        });
        expect(login.statusCode).toBe(response.statusCode === 202 ? 200 : 401);
      }
    } finally {
      await tight.close();
    }
  });
});
