import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash, randomInt } from 'node:crypto';
import { ApiKeysService } from '../src/api-keys/index.js';
import { Db } from '../src/database/index.js';
import { runScript } from './support/run.js';
import { ADMIN_EMAIL, createTestApp, login, useTestApp } from './support/test-app.js';

/** `/metrics` on the app port (the test apps run no operations port). */
const METRICS_TOKEN = 'api-keys-test-metrics-token';
import { waitFor } from './support/wait-for.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_SHAPE = /^sk_[0-9A-Za-z]{65}$/;

/**
 * The API-key registry against the real primary and Redis: admin routes, `verify` (synchronous
 * when the answer is in memory, no query for a forged key), revocation across two instances, the CLI.
 */
describe('API keys: registry, admin routes, verify, CLI', () => {
  const context = useTestApp();
  /** Another instance: its own memory, the same database and Redis. A short TTL to see it bound revocation. */
  let other: NestFastifyApplication;
  const OTHER_TTL_MS = 5_000;
  let admin: Record<string, string>;
  let customer: Record<string, string>;
  const run = `${Date.now().toString(36)}-${process.pid}`;
  const fresh = (what: string) => `${what}-${run}`;

  beforeAll(async () => {
    admin = await login(context.app, ADMIN_EMAIL);
    customer = await login(context.app, 'user7@example.com');
    other = await createTestApp({ API_KEY_CACHE_TTL_MS: String(OTHER_TTL_MS), METRICS_TOKEN: METRICS_TOKEN });
  });

  afterAll(async () => {
    await other?.close();
  });

  const apiKeys = (app = context.app) => app.get(ApiKeysService);
  const queriesSoFar = (app = context.app) =>
    app
      .get(Db)
      .snapshot()
      .queries.reduce((sum, row) => sum + row.count, 0);

  async function issue(body: Record<string, unknown>) {
    const response = await context.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: admin,
      payload: body,
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as {
      id: number;
      name: string;
      key: string;
      prefix: string;
      last4: string;
      expiresAt: string;
    };
  }
  const revoke = (id: number | string, headers = admin) =>
    context.app.inject({ method: 'DELETE', url: `/admin/api-keys/${id}`, headers });
  const listed = async (url = '/admin/api-keys?limit=100') => {
    const response = await context.app.inject({ method: 'GET', url, headers: admin });
    expect(response.statusCode, response.body).toBe(200);
    return response;
  };

  it('issues a key to an admin (201, shown once); the list and the table hold neither the key nor anything that opens it', async () => {
    const response = await context.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: admin,
      payload: { name: fresh('partner-a'), limits: { default: 1000, search: 60 } },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const issued = response.json();
    expect(issued).toEqual({
      id: expect.any(Number),
      name: fresh('partner-a'),
      key: expect.stringMatching(KEY_SHAPE),
      prefix: issued.key.slice(0, 9),
      last4: issued.key.slice(-4),
      limits: { default: 1000, search: 60 },
      createdAt: expect.any(String),
      // No expiry: the field is absent (lean payloads), not null.
    });

    const list = await listed();
    expect(list.body).not.toContain(issued.key.slice(9, -4));
    const item = list.json().data.find((key: { id: number }) => key.id === issued.id);
    expect(item).toEqual({
      id: issued.id,
      name: fresh('partner-a'),
      prefix: issued.prefix,
      last4: issued.last4,
      limits: { default: 1000, search: 60 },
      status: 'active',
      createdAt: issued.createdAt,
    });

    const { rows } = await context.sql.query('SELECT * FROM api_keys WHERE id = $1', [issued.id]);
    expect(rows[0].key_hash).toBe(createHash('sha256').update(issued.key).digest('hex'));
    expect(JSON.stringify(rows[0])).not.toContain(issued.key.slice(9, -4));
  });

  it('refuses customers (403) and anonymous callers (401) on every route', async () => {
    for (const [method, url] of [
      ['POST', '/admin/api-keys'],
      ['GET', '/admin/api-keys'],
      ['DELETE', '/admin/api-keys/1'],
    ] as const) {
      const payload = method === 'POST' ? { name: fresh('nope') } : undefined;
      const asCustomer = await context.app.inject({ method, url, headers: customer, payload });
      expect(asCustomer.statusCode, `${method} ${url}`).toBe(403);
      const anonymous = await context.app.inject({ method, url, payload });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
    }
    const { rows } = await context.sql.query('SELECT 1 FROM api_keys WHERE name = $1', [fresh('nope')]);
    expect(rows).toHaveLength(0);
  });

  it('verifies a key with one query shared by concurrent callers, then synchronously from memory', async () => {
    const issued = await issue({ name: fresh('verify'), limits: { auth: 10 } });
    const identity = { id: issued.id, name: fresh('verify'), limits: { auth: 10 } };
    const before = queriesSoFar(other);
    const answers = Array.from({ length: 20 }, () => apiKeys(other).verify(issued.key));
    expect(answers.every((answer) => answer instanceof Promise)).toBe(true);
    expect(await Promise.all(answers)).toEqual(Array(20).fill(identity));
    expect(queriesSoFar(other) - before, 'one indexed query for 20 concurrent verifications').toBe(1);

    const again = apiKeys(other).verify(issued.key);
    expect(again, 'a value, not a promise').toEqual(identity);
    expect(queriesSoFar(other) - before).toBe(1);
  });

  it('refuses made-up and altered keys synchronously, with no query at all', async () => {
    const issued = await issue({ name: fresh('genuine') });
    expect(await apiKeys().verify(issued.key)).toMatchObject({ id: issued.id });
    const flip = (key: string, index: number) =>
      key.slice(0, index) + BASE62[(BASE62.indexOf(key[index]) + 1) % 62] + key.slice(index + 1);
    const randomKey = () => `sk_${Array.from({ length: 65 }, () => BASE62[randomInt(62)]).join('')}`;
    const forged = [
      randomKey(),
      flip(issued.key, 10), // in the random part
      flip(issued.key, issued.key.length - 1), // in the tag
      issued.key.toLowerCase(),
      `${issued.key} `,
      'sk_live_not-a-key',
      '',
      ...Array.from({ length: 2_000 }, randomKey),
    ];
    const [queries, refused] = [queriesSoFar(), apiKeys().stats.refusedByTag];
    for (const key of forged) expect(apiKeys().verify(key), key).toBeUndefined();
    expect(queriesSoFar(), 'no database query for any forged key').toBe(queries);
    expect(apiKeys().stats.refusedByTag - refused).toBe(forged.length);

    // On /metrics: in one process the families belong to the app created last (`other`).
    for (const key of forged) expect(apiKeys(other).verify(key)).toBeUndefined();
    const metrics = (
      await other.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).body;
    const counted = /^api_key_verifications_total\{outcome="refused_by_tag"\} (\d+)$/m.exec(metrics)?.[1];
    expect(Number(counted)).toBeGreaterThanOrEqual(forged.length);
  });

  it('revokes: this instance refuses at once, the other within moments (Redis), long before its TTL', async () => {
    const issued = await issue({ name: fresh('revoked') });
    for (const app of [context.app, other]) expect(await apiKeys(app).verify(issued.key)).toBeDefined();
    const rememberedAt = Date.now();
    expect(apiKeys(other).verify(issued.key), 'the other instance answers from memory').toMatchObject({
      id: issued.id,
    });

    const response = await revoke(issued.id);
    expect(response.statusCode, response.body).toBe(204);
    expect(await apiKeys().verify(issued.key)).toBeUndefined();
    const before = queriesSoFar();
    expect(apiKeys().verify(issued.key), 'the no is remembered too').toBeUndefined();
    expect(queriesSoFar()).toBe(before);

    await waitFor(
      async () => (await apiKeys(other).verify(issued.key)) === undefined,
      OTHER_TTL_MS,
      'the other instance to refuse the revoked key',
    );
    // Its memory alone would have said yes until rememberedAt + OTHER_TTL_MS.
    expect(Date.now() - rememberedAt, 'told by the bus, not by the TTL').toBeLessThan(OTHER_TTL_MS - 1_000);

    expect((await revoke(issued.id)).statusCode, 'again: no change').toBe(204);
    const item = (await listed()).json().data.find((key: { id: number }) => key.id === issued.id);
    expect(item).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
  });

  it('bounds revocation by the TTL when no message comes (a row revoked behind its back)', async () => {
    const issued = await issue({ name: fresh('silent') });
    expect(await apiKeys(other).verify(issued.key)).toBeDefined();
    await context.sql.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [issued.id]);
    expect(apiKeys(other).verify(issued.key), 'still trusted from memory').toMatchObject({ id: issued.id });
    await waitFor(
      async () => (await apiKeys(other).verify(issued.key)) === undefined,
      OTHER_TTL_MS + 1_000,
      'the cached answer to expire',
    );
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await revoke(2_147_483_647);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect((await revoke('abc')).statusCode).toBe(400);
  });

  it('refuses expired keys: one expiring while remembered, one expired before its first use', async () => {
    const soon = await issue({ name: fresh('expiring'), expiresAt: new Date(Date.now() + 1_500).toISOString() });
    expect(await apiKeys().verify(soon.key)).toMatchObject({ id: soon.id });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(soon.expiresAt) - Date.now() + 50)));
    expect(await apiKeys().verify(soon.key)).toBeUndefined();

    const later = await issue({ name: fresh('expired'), expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await context.sql.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [later.id]);
    expect(await apiKeys().verify(later.key)).toBeUndefined();
    const items = (await listed()).json().data as { id: number; status: string }[];
    expect(items.find((key) => key.id === later.id)?.status).toBe('expired');
    expect(items.find((key) => key.id === soon.id)?.status).toBe('expired');
  });

  it('answers bad input with a 400 problem naming each field', async () => {
    const errorsOf = async (payload: unknown) => {
      const response = await context.app.inject({
        method: 'POST',
        url: '/admin/api-keys',
        headers: admin,
        payload: payload as object,
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      return Object.fromEntries(
        (response.json().errors as { field: string; message: string }[]).map((error) => [error.field, error.message]),
      );
    };
    expect(await errorsOf({})).toEqual({ 'body.name': 'is required' });
    expect(
      await errorsOf({
        name: 'has spaces',
        limits: { search: 0, default: 1.5, bogus: 5 },
        expiresAt: 'tomorrow',
        extra: true,
      }),
    ).toEqual({
      'body.name': expect.stringContaining('letters, digits'),
      'body.limits.search': 'must be at least 1',
      'body.limits.default': 'must be an integer',
      'body.limits': expect.stringContaining('unknown policy bogus'),
      'body.expiresAt': expect.stringContaining('ISO 8601'),
      body: expect.stringContaining('extra'),
    });
    expect(await errorsOf({ name: fresh('past'), expiresAt: '2020-01-01T00:00:00Z' })).toEqual({
      'body.expiresAt': 'must be in the future',
    });
    expect(await errorsOf({ name: fresh('array'), limits: [1] })).toEqual({ 'body.limits': expect.any(String) });
    expect(await errorsOf({ name: 'x'.repeat(65) })).toHaveProperty(['body.name']);
    for (const url of ['/admin/api-keys?limit=0', '/admin/api-keys?cursor=zzz', '/admin/api-keys?other=1']) {
      const response = await context.app.inject({ method: 'GET', url, headers: admin });
      expect(response.statusCode, url).toBe(400);
    }
  });

  it('keeps one active key per name: a second is a 409; after revocation the name is free', async () => {
    const first = await issue({ name: fresh('unique') });
    const clash = await context.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: admin,
      payload: { name: fresh('unique') },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().type).toMatch(/conflict$/);
    expect((await revoke(first.id)).statusCode).toBe(204);
    await issue({ name: fresh('unique') });
  });

  it('lists newest first, page by page', async () => {
    for (const index of [1, 2, 3]) await issue({ name: fresh(`page-${index}`) });
    const first = (await listed('/admin/api-keys?limit=2')).json();
    expect(first.data).toHaveLength(2);
    expect(first.data[0].id).toBeGreaterThan(first.data[1].id);
    expect(first.data.map((key: { name: string }) => key.name)).toEqual([fresh('page-3'), fresh('page-2')]);
    const second = (await listed(`/admin/api-keys?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.data[0].name).toBe(fresh('page-1'));
  });

  it('the CLI creates a key that verify accepts, lists it, and revokes it on the running instances', async () => {
    const name = fresh('cli');
    const env = { NODE_ENV: 'test' };
    const created = await runScript(
      'scripts/api-keys.ts',
      ['create', '--name', name, '--limit', 'default=1000', '--limit', 'search=100'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1)!;
    expect(key).toMatch(KEY_SHAPE);
    const identity = await apiKeys().verify(key);
    expect(identity).toEqual({ id: expect.any(Number), name, limits: { default: 1000, search: 100 } });

    const list = await runScript('scripts/api-keys.ts', ['list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(`#${identity!.id}  ${name}  ${key.slice(0, 9)}…${key.slice(-4)}`);
    expect(list.stdout).not.toContain(key);

    expect(apiKeys().verify(key), 'remembered').toBeDefined();
    const revoked = await runScript('scripts/api-keys.ts', ['revoke', String(identity!.id)], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    await waitFor(
      async () => (await apiKeys().verify(key)) === undefined,
      2_000,
      'the instance to hear of the revocation',
    );

    const bad = await runScript('scripts/api-keys.ts', ['create', '--name', name, '--limit', 'bogus=1'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown policy bogus');
  }, 120_000);
});
