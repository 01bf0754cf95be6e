import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';

export interface TestAccount {
  email: string;
  password: string;
  userId: number;
  /** `{ authorization: 'Bearer …' }` */
  headers: Record<string, string>;
}

/**
 * A new customer who can check out and review: signs up through the API (202), marks the address
 * verified in SQL (what following the emailed token does; test/accounts.e2e-spec.ts covers the
 * email itself) and logs in. Sign-ups answer no session: log in after them.
 */
export async function registerVerified(
  app: NestFastifyApplication,
  sql: pg.Client,
  {
    email = `verified-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`,
    password = 'a-long-password',
    name = 'Verified Customer',
  }: { email?: string; password?: string; name?: string } = {},
): Promise<TestAccount> {
  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password, name } });
  if (registered.statusCode !== 202) throw new Error(`sign-up of ${email} failed: ${registered.body}`);
  const { rows } = await sql.query<{ id: number }>(
    'UPDATE users SET email_verified_at = now() WHERE email = $1 RETURNING id',
    [email.toLowerCase()],
  );
  if (!rows.length) throw new Error(`sign-up of ${email} made no account (was the address taken?)`);
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  if (login.statusCode !== 200) throw new Error(`login of ${email} failed: ${login.body}`);
  return { email, password, userId: rows[0].id, headers: { authorization: `Bearer ${login.json().accessToken}` } };
}
