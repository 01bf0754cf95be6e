import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import type { User } from '../generated/prisma/client.js';
import type { UserSummary } from './user.dto.js';

/** What an authenticated request checks of its user (`UserAccess`). */
export interface UserAccessRow {
  tokenVersion: number;
  role: User['role'];
  verified: boolean;
}

/** Reads of users (account changes, which also write outbox rows, are `AccountsRepository`'s). */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Db) {}

  /** From the primary: a user who just registered must be able to log in at once. */
  findByEmail(email: string): Promise<User | null> {
    return this.db.primary.user.findUnique({ where: { email } });
  }

  /** For checks right before a write (a password change). */
  findByIdOnPrimary(id: number): Promise<User | null> {
    return this.db.primary.user.findUnique({ where: { id } });
  }

  findById(id: number): Promise<User | null> {
    return this.db.reader().user.findUnique({ where: { id } });
  }

  /** The primary: read right after a revocation, a replica behind it would bring the old version back. */
  async findAccess(id: number): Promise<UserAccessRow | null> {
    const [row] = await this.db.primary.$queryRaw<UserAccessRow[]>`
      SELECT token_version AS "tokenVersion", role::text AS role, email_verified_at IS NOT NULL AS verified
      FROM users WHERE id = ${id}`;
    return row ?? null;
  }

  findSummaries(ids: readonly number[]): Promise<UserSummary[]> {
    return this.db.reader().$queryRaw<UserSummary[]>`SELECT id, name FROM users WHERE id = ANY(${[...ids]}::int[])`;
  }
}
