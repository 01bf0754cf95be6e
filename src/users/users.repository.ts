import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import type { User } from '../generated/prisma/client.js';
import type { UserSummary } from './user.dto.js';

/** The only code that reads or writes users. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Db) {}

  create(data: { email: string; name: string; passwordHash: string }): Promise<User> {
    return this.db.primary.user.create({ data });
  }

  /** From the primary: a user who just registered must be able to log in at once. */
  findByEmail(email: string): Promise<User | null> {
    return this.db.primary.user.findUnique({ where: { email } });
  }

  findById(id: number): Promise<User | null> {
    return this.db.reader().user.findUnique({ where: { id } });
  }

  findSummaries(ids: readonly number[]): Promise<UserSummary[]> {
    return this.db.reader().$queryRaw<UserSummary[]>`SELECT id, name FROM users WHERE id = ANY(${[...ids]}::int[])`;
  }
}
