import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createFakeGateway } from '../dev/fake-payment-gateway.js';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { startWorker, type AppProcess } from './support/app-process.js';
import { registerVerified } from './support/accounts.js';
import { connect } from './support/sql.js';
import { ADMIN_EMAIL, createTestApp, login, testConfig } from './support/test-app.js';
import { resumeTestQueues } from './support/test-queues.js';
import { waitFor } from './support/wait-for.js';

const ACCEPTED = {
  status: 'accepted',
  detail: 'If the address can receive it, an email is on its way: follow its instructions.',
};
const PASSWORD = 'a-long-password';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Accounts end to end: the API in this process, the built worker as a real process (outbox → queue
 * → worker → SMTP), the SMTP sink capturing what a user would receive. Sign-up and verification,
 * password reset and change, revocation of earlier tokens (password, role), and that no raw emailed
 * token is ever in Postgres or Redis.
 */
describe('accounts (e2e: API, worker process, SMTP sink)', () => {
  const gateway = createFakeGateway({ latencyMs: 0, failureRate: 0 });
  const sink = createSmtpSink();
  let app: NestFastifyApplication;
  let sql: pg.Client;
  let worker: AppProcess | undefined;
  let productId: number;
  let keys = 0;
  /** Every raw token mailed during this file: none may be stored anywhere. */
  const mailed: string[] = [];
  const unique = (label: string) => `${label}-${process.pid}-${Date.now()}-${keys++}@example.com`;

  beforeAll(async () => {
    const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const smtpUrl = `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`;
    app = await createTestApp({ PAYMENT_GATEWAY_URL: gatewayUrl, SMTP_URL: smtpUrl });
    sql = await connect();
    // Events left by other test files are not this file's business.
    await sql.query('UPDATE outbox_events SET sent_at = now() WHERE sent_at IS NULL');
    await resumeTestQueues();
    ({
      rows: [{ id: productId }],
    } = await sql.query(`SELECT id FROM products WHERE status = 'active' ORDER BY id DESC LIMIT 1`));
    await sql.query('UPDATE products SET stock = 1000 WHERE id = $1', [productId]);
    worker = await startWorker({
      SMTP_URL: smtpUrl,
      PAYMENT_GATEWAY_URL: gatewayUrl,
      OUTBOX_RELAY_INTERVAL_MS: '50',
      EMAIL_BACKOFF_MS: '100',
      WORKER_METRICS_PORT: '0',
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await sql?.end();
    await app?.close();
    await gateway.close();
    await sink.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers });
  /** The single-use token in the newest email to `email` whose subject matches, once it arrived. */
  const tokenMailedTo = async (email: string, subject: RegExp): Promise<string> => {
    await waitFor(
      () => sink.messages.some((message) => message.to.includes(email) && subject.test(message.subject)),
      15_000,
      `an email "${subject.source}" to ${email}`,
    );
    const message = sink.messages.findLast(
      (candidate) => candidate.to.includes(email) && subject.test(candidate.subject),
    )!;
    const token = /^ {2}([A-Za-z0-9_-]{43})$/m.exec(message.text)?.[1];
    if (!token) throw new Error(`no token in: ${message.text}`);
    mailed.push(token);
    return token;
  };
  const checkout = (headers: Record<string, string>) =>
    post(
      '/checkout',
      { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
      { ...headers, 'idempotency-key': `accounts-${process.pid}-${Date.now()}-${keys++}` },
    );
  const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/me', headers });
  const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

  it('signs up unverified, emails a single-use token through the worker; checkout and reviews wait for it', async () => {
    const email = unique('signup');
    const registered = await post('/auth/register', { email, password: PASSWORD, name: 'New <b>Customer</b>' });
    expect(registered.statusCode).toBe(202);
    expect(registered.json()).toEqual(ACCEPTED);
    const token = await tokenMailedTo(email, /^Verify your email address$/);
    const message = sink.messages.findLast((candidate) => candidate.to.includes(email))!;
    expect(message.html).toContain('New &lt;b&gt;Customer&lt;/b&gt;');

    // Logging in works before verification; what needs a proven address does not.
    const headers = await login(app, email, PASSWORD);
    expect((await me(headers)).json()).toMatchObject({ email, emailVerified: false });
    for (const refused of [
      await checkout(headers),
      await post(`/products/${productId}/reviews`, { rating: 5, comment: 'great' }, headers),
    ]) {
      expect(refused.statusCode).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json().type).toBe('https://store-api.dev/problems/email-not-verified');
    }

    const verified = await post('/auth/verify', { token });
    expect(verified.statusCode).toBe(204);
    // Read from a replica that has the verification (its consistency token).
    const consistency = { 'x-consistency-token': String(verified.headers['x-consistency-token']) };
    expect((await me({ ...headers, ...consistency })).json().emailVerified).toBe(true);
    // The same token again: spent.
    const again = await post('/auth/verify', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json().errors).toEqual([{ field: 'body.token', message: 'is unknown, expired or already used' }]);
    // The same access token now passes: verification changed nothing the token carries.
    const placed = await checkout(headers);
    expect(placed.statusCode, placed.body).toBe(201);
    const { rows } = await sql.query('SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE email = $1', [
      email,
    ]);
    expect(rows).toEqual([{ verified: true }]);
  });

  it('refuses an expired verification token', async () => {
    const email = unique('expired');
    await post('/auth/register', { email, password: PASSWORD, name: 'Late' });
    const token = await tokenMailedTo(email, /^Verify/);
    await sql.query(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
      sha256(token),
    ]);
    const response = await post('/auth/verify', { token });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect((await sql.query('SELECT email_verified_at FROM users WHERE email = $1', [email])).rows).toEqual([
      { email_verified_at: null },
    ]);
  });

  it('answers a taken address exactly like a new one, mails its owner instead, and changes nothing', async () => {
    const owner = 'user77@example.com';
    const before = (await sql.query('SELECT count(*)::int AS n FROM users')).rows[0].n as number;
    const taken = await post('/auth/register', { email: 'USER77@example.com', password: PASSWORD, name: 'Squatter' });
    expect(taken.statusCode).toBe(202);
    expect(taken.json()).toEqual(ACCEPTED);
    expect(taken.headers['ratelimit-policy']).toContain('"auth"');
    await waitFor(
      () => sink.messages.some((message) => message.to.includes(owner) && /tried to sign up/.test(message.subject)),
      15_000,
      'the owner to be told',
    );
    expect((await sql.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(before);
    expect((await login(app, owner)).authorization).toMatch(/^Bearer /);
  });

  it('takes about as long for a taken address as for a new one', async () => {
    const timed = async (email: string) => {
      const started = performance.now();
      expect((await post('/auth/register', { email, password: PASSWORD, name: 'Timing' })).statusCode).toBe(202);
      return performance.now() - started;
    };
    const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
    const fresh: number[] = [];
    const taken: number[] = [];
    for (let i = 0; i < 7; i++) {
      fresh.push(await timed(unique('timing')));
      taken.push(await timed('user78@example.com'));
    }
    // Both hash the password (argon2, tens of ms) and run one statement: no telling them apart. (Loose
    // bounds, the CPU is shared: an answer that skipped the hash for a taken address would be ~20× faster.)
    expect(median(taken) / median(fresh)).toBeGreaterThan(1 / 3);
    expect(median(taken) / median(fresh)).toBeLessThan(3);
  });

  it('resets a password by emailed token, once; the same 202 for unknown addresses; earlier tokens stop working', async () => {
    const account = await registerVerified(app, sql, { email: unique('reset') });
    const unknown = await post('/auth/password-reset', { email: unique('nobody') });
    const known = await post('/auth/password-reset', { email: account.email });
    expect([unknown.statusCode, known.statusCode]).toEqual([202, 202]);
    expect(unknown.body).toBe(known.body);
    expect(known.json()).toEqual(ACCEPTED);
    const token = await tokenMailedTo(account.email, /^Reset your password$/);
    expect((await me(account.headers)).statusCode).toBe(200);

    const confirmed = await post('/auth/password-reset/confirm', { token, newPassword: 'another-long-one' });
    expect(confirmed.statusCode).toBe(204);
    const again = await post('/auth/password-reset/confirm', { token, newPassword: 'a-third-long-one' });
    expect(again.statusCode).toBe(400);
    expect(again.json().errors[0].field).toBe('body.token');

    // The token from before the reset: refused at once on this instance (its cache entry dropped).
    const revoked = await me(account.headers);
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().detail).toMatch(/revoked/);
    await expect(login(app, account.email, PASSWORD)).rejects.toThrow(/login/);
    expect((await me(await login(app, account.email, 'another-long-one'))).statusCode).toBe(200);
  });

  it('changes the password with the current one; the answer carries the only token that still works', async () => {
    const account = await registerVerified(app, sql, { email: unique('change') });
    const wrong = await post(
      '/auth/password',
      { currentPassword: 'not-the-password', newPassword: 'x'.repeat(12) },
      account.headers,
    );
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().errors).toEqual([{ field: 'body.currentPassword', message: 'is wrong' }]);
    expect((await me(account.headers)).statusCode).toBe(200);

    const changed = await post(
      '/auth/password',
      { currentPassword: PASSWORD, newPassword: 'changed-password' },
      account.headers,
    );
    expect(changed.statusCode).toBe(200);
    expect((await me(account.headers)).statusCode).toBe(401);
    expect((await me(bearer(changed.json().accessToken))).statusCode).toBe(200);
    expect((await me(await login(app, account.email, 'changed-password'))).statusCode).toBe(200);
  });

  it('revokes a demoted admin’s token within seconds, on another instance too; the new token is a customer’s', async () => {
    const account = await registerVerified(app, sql, { email: unique('demoted') });
    await sql.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [account.userId]);
    const adminHeaders = await login(app, account.email, PASSWORD);
    const other = await createTestApp();
    try {
      const adminRoute = (target: NestFastifyApplication) =>
        target.inject({ method: 'GET', url: '/admin/orders?limit=1', headers: adminHeaders });
      // Both instances have the user's access in memory now.
      expect((await adminRoute(app)).statusCode).toBe(200);
      expect((await adminRoute(other)).statusCode).toBe(200);

      const admin = await login(app, ADMIN_EMAIL);
      const demoted = await app.inject({
        method: 'PATCH',
        url: `/admin/users/${account.userId}`,
        headers: admin,
        payload: { role: 'customer' },
      });
      expect(demoted.statusCode).toBe(200);
      expect(demoted.json()).toMatchObject({ id: account.userId, role: 'customer' });
      expect((await adminRoute(app)).statusCode).toBe(401);
      const took = await waitFor(async () => (await adminRoute(other)).statusCode === 401, 6_000, 'the other instance');
      expect(took).toBeLessThan(6_000);

      const customer = await login(app, account.email, PASSWORD);
      expect((await app.inject({ method: 'GET', url: '/admin/orders?limit=1', headers: customer })).statusCode).toBe(
        403,
      );
      expect((await me(customer)).json().role).toBe('customer');
    } finally {
      await other.close();
    }
  });

  it('limits sign-ups and reset requests per address (the account policy: no mail bombing), whatever the client', async () => {
    const limited = await createTestApp({ RATE_LIMIT_ACCOUNT: '2' });
    try {
      const email = unique('bombed');
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (await limited.inject({ method: 'POST', url: '/auth/password-reset', payload: { email } })).statusCode,
        );
      expect(statuses).toEqual([202, 202, 429]);
      const signUp = await limited.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email, password: PASSWORD, name: 'B' },
      });
      expect(signUp.statusCode).toBe(429);
      expect(signUp.headers['content-type']).toContain('application/problem+json');
      // Another address is not held back.
      expect(
        (await limited.inject({ method: 'POST', url: '/auth/password-reset', payload: { email: unique('other') } }))
          .statusCode,
      ).toBe(202);
    } finally {
      await limited.close();
    }
  });

  it('answers bad input with 400 problem+json naming the field', async () => {
    const admin = await login(app, ADMIN_EMAIL);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/auth/verify', {}, 'body.token'],
      ['POST', '/auth/verify', { token: 'x'.repeat(201) }, 'body.token'],
      ['POST', '/auth/password-reset', { email: 'not-an-address' }, 'body.email'],
      ['POST', '/auth/password-reset/confirm', { token: 'x', newPassword: 'short' }, 'body.newPassword'],
      ['POST', '/auth/password', { currentPassword: PASSWORD }, 'body.newPassword'],
      ['PATCH', '/admin/users/2', { role: 'root' }, 'body.role'],
      ['PATCH', '/admin/users/2', { role: 'customer', email: 'x@example.com' }, 'body'],
    ];
    for (const [method, url, payload, field] of cases) {
      const response = await app.inject({ method: method as 'POST', url, payload: payload as object, headers: admin });
      expect(response.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(
        response
          .json()
          .errors.map((error: { field: string }) => error.field)
          .join(' '),
      ).toContain(field);
    }
    const missing = await app.inject({
      method: 'PATCH',
      url: '/admin/users/2147483000',
      headers: admin,
      payload: { role: 'customer' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('never stores a mailed token: not in any table, not in Redis (queue, cache), not in the worker log', async () => {
    expect(mailed.length).toBeGreaterThanOrEqual(3);
    // With every other token mailed by this file (the timing test's sign-ups).
    const tokens = [
      ...new Set([
        ...mailed,
        ...sink.messages.flatMap((message) => /^ {2}([A-Za-z0-9_-]{43})$/m.exec(message.text)?.[1] ?? []),
      ]),
    ];
    expect(tokens.length).toBeGreaterThan(mailed.length);
    const { rows: tables } = await sql.query<{ name: string }>(
      `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'`,
    );
    for (const { name } of tables) {
      const { rows } = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${name} t WHERE t::text LIKE ANY ($1::text[])`,
        [tokens.map((token) => `%${token}%`)],
      );
      expect(rows[0].n, `table ${name}`).toBe(0);
    }
    // The hashes are there: the scan looks where the tokens would be.
    const { rows: hashed } = await sql.query(
      'SELECT count(*)::int AS n FROM account_tokens WHERE token_hash = ANY ($1)',
      [mailed.map(sha256)],
    );
    expect(hashed[0].n).toBe(mailed.length);

    const config = testConfig();
    for (const url of [config.REDIS_QUEUE_URL!, config.REDIS_CACHE_URL!]) {
      const redis = new Redis(url);
      try {
        let found = 0;
        let seen = 0;
        for await (const batch of redis.scanStream({ count: 500 }) as AsyncIterable<string[]>) {
          for (const key of batch) {
            seen++;
            const values = await valuesOf(redis, key);
            if (values.some((value) => tokens.some((token) => value.toString().includes(token)))) found++;
          }
        }
        expect(seen, url).toBeGreaterThan(0);
        expect(found, url).toBe(0);
      } finally {
        redis.disconnect();
      }
    }
    expect(tokens.some((token) => worker!.output().includes(token))).toBe(false);
  });
});

/** Everything stored under a Redis key, whatever its type. */
async function valuesOf(redis: Redis, key: string): Promise<(string | Buffer)[]> {
  switch (await redis.type(key)) {
    case 'string':
      return [(await redis.getBuffer(key)) ?? ''];
    case 'hash':
      return Object.values(await redis.hgetallBuffer(key));
    case 'list':
      return redis.lrangeBuffer(key, 0, -1);
    case 'set':
      return redis.smembersBuffer(key);
    case 'zset':
      return redis.zrangeBuffer(key, '0', '-1');
    case 'stream':
      return (await redis.xrange(key, '-', '+')).flatMap(([, fields]) => fields);
    default:
      return [];
  }
}
