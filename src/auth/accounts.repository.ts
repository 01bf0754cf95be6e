import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import { Prisma, type User } from '../generated/prisma/client.js';
import { currentTraceparent } from '../tracing/trace-context.js';

/** What the account emails say to do: the worker makes a token for `verify` and `reset`. */
export type AccountEmailKind = 'verify' | 'reset' | 'signup-attempt';

/** A user as a session needs it. */
export type SessionUser = Pick<
  User,
  'id' | 'email' | 'name' | 'role' | 'createdAt' | 'emailVerifiedAt' | 'tokenVersion'
>;

const SESSION_COLUMNS = Prisma.sql`id, email, name, role::text AS role, created_at AS "createdAt",
  email_verified_at AS "emailVerifiedAt", token_version AS "tokenVersion"`;

/**
 * The SQL of account changes. Each is one statement; the ones that send mail write their outbox
 * event in it (`account-email`: only "mail user X about Y" — the worker makes any token, so no raw
 * token is ever in Postgres, Redis or job data).
 */
@Injectable()
export class AccountsRepository {
  constructor(private readonly db: Db) {}

  /**
   * A new, unverified account and its verification email; or, when the address is taken, nothing
   * but an email to its owner ("someone tried to sign up"). Both cases write one outbox row.
   */
  async register(data: { email: string; name: string; passwordHash: string }): Promise<void> {
    const traceparent = currentTraceparent();
    await this.db.write(
      (primary) => primary.$executeRaw`
      WITH created AS (
        INSERT INTO users (email, name, password_hash, updated_at)
        VALUES (${data.email}, ${data.name}, ${data.passwordHash}, now())
        ON CONFLICT (email) DO NOTHING
        RETURNING id, 'verify' AS kind
      ),
      taken AS (
        SELECT id, 'signup-attempt' AS kind FROM users
        WHERE email = ${data.email} AND NOT EXISTS (SELECT 1 FROM created)
      )
      INSERT INTO outbox_events (topic, payload, traceparent)
      SELECT 'account-email', jsonb_build_object('userId', id, 'kind', kind), ${traceparent}::text
      FROM (SELECT * FROM created UNION ALL SELECT * FROM taken) AS recipient`,
    );
  }

  /** A reset email for the owner of `email`, if there is one (nothing otherwise: same statement, same time). */
  async requestReset(email: string): Promise<void> {
    const traceparent = currentTraceparent();
    await this.db.write(
      (primary) => primary.$executeRaw`
      INSERT INTO outbox_events (topic, payload, traceparent)
      SELECT 'account-email', jsonb_build_object('userId', id, 'kind', 'reset'), ${traceparent}::text
      FROM users WHERE email = ${email}`,
    );
  }

  /** Spends a live verification token and verifies its user; `undefined`: no such live token. */
  async verify(tokenHash: string): Promise<number | undefined> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<{ id: number }[]>`
      WITH spent AS (
        UPDATE account_tokens SET used_at = now()
        WHERE token_hash = ${tokenHash} AND purpose = 'verify' AND used_at IS NULL AND expires_at > now()
        RETURNING user_id
      )
      UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
      FROM spent WHERE users.id = spent.user_id
      RETURNING users.id`,
    );
    return row?.id;
  }

  /**
   * Spends a live reset token (and every other unused reset token of its user), sets the password,
   * revokes earlier access tokens and verifies the address (the email reached its owner).
   * `undefined`: no such live token. Two requests with one token: the second finds it spent.
   */
  async resetPassword(tokenHash: string, passwordHash: string): Promise<number | undefined> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<{ id: number }[]>`
      WITH owner AS (
        SELECT user_id FROM account_tokens
        WHERE token_hash = ${tokenHash} AND purpose = 'reset' AND used_at IS NULL AND expires_at > now()
      ),
      spent AS (
        UPDATE account_tokens SET used_at = now()
        WHERE user_id IN (SELECT user_id FROM owner) AND purpose = 'reset' AND used_at IS NULL
        RETURNING user_id, token_hash = ${tokenHash} AS presented
      )
      UPDATE users SET password_hash = ${passwordHash}, token_version = token_version + 1,
        email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
      WHERE id IN (SELECT user_id FROM spent WHERE presented)
      RETURNING id`,
    );
    return row?.id;
  }

  /**
   * Replaces the password if it is still `currentHash` (a concurrent change wins once) and
   * revokes earlier access tokens; `undefined`: it changed meanwhile.
   */
  async changePassword(userId: number, currentHash: string, newHash: string): Promise<SessionUser | undefined> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<SessionUser[]>`
      UPDATE users SET password_hash = ${newHash}, token_version = token_version + 1, updated_at = now()
      WHERE id = ${userId} AND password_hash = ${currentHash}
      RETURNING ${SESSION_COLUMNS}`,
    );
    return row;
  }

  /** Sets a role; a change revokes the user's earlier access tokens. `undefined`: no such user. */
  async setRole(userId: number, role: User['role']): Promise<SessionUser | undefined> {
    const [row] = await this.db.write(
      (primary) => primary.$queryRaw<SessionUser[]>`
      UPDATE users SET role = ${role}::"UserRole",
        token_version = token_version + (role IS DISTINCT FROM ${role}::"UserRole")::int, updated_at = now()
      WHERE id = ${userId}
      RETURNING ${SESSION_COLUMNS}`,
    );
    return row;
  }
}
