import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ProblemException } from '../common/http/index.js';
import type { User } from '../generated/prisma/client.js';
import { UserAccess } from '../users/user-access.js';
import { toUserDto, type UserDto } from '../users/user.dto.js';
import { UsersRepository } from '../users/users.repository.js';
import { AccountsRepository } from './accounts.repository.js';
import type {
  AccountRequestAccepted,
  PasswordChangeBody,
  PasswordResetConfirmBody,
  VerifyEmailBody,
} from './accounts.schemas.js';
import { ACCEPTED, AuthService } from './auth.service.js';
import { PasswordHasher } from './password-hasher.js';
import type { Session } from './session.dto.js';

/** How emailed tokens are found: by their SHA-256 (the raw token is never stored). */
export const hashAccountToken = (token: string) => createHash('sha256').update(token).digest('hex');

const spentToken = () =>
  new ProblemException(400, 'invalid-token', 'The token is unknown, expired or already used.', [
    { field: 'body.token', message: 'is unknown, expired or already used' },
  ]);

/**
 * Verification, password reset and change, role changes. Every change to a password or role
 * raises the user's token version (earlier access tokens stop working) and drops the user's access
 * facts from the cache on every instance.
 */
@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly passwords: PasswordHasher,
    private readonly access: UserAccess,
  ) {}

  /** Spends a verification token. @throws ProblemException 400 when it is unknown, expired or used */
  async verify({ token }: VerifyEmailBody): Promise<void> {
    const userId = await this.accounts.verify(hashAccountToken(token));
    if (userId === undefined) throw spentToken();
    await this.access.changed(userId);
  }

  /** Emails a reset token to the address's owner, if any: the same answer and work either way. */
  async requestReset(email: string): Promise<AccountRequestAccepted> {
    await this.auth.countAttempt(email);
    await this.accounts.requestReset(email);
    return ACCEPTED;
  }

  /** Spends a reset token and sets the password. @throws ProblemException 400 */
  async confirmReset({ token, newPassword }: PasswordResetConfirmBody): Promise<void> {
    const passwordHash = await this.passwords.hash(newPassword);
    const userId = await this.accounts.resetPassword(hashAccountToken(token), passwordHash);
    if (userId === undefined) throw spentToken();
    await this.access.changed(userId);
  }

  /**
   * Changes the caller's password (the current one checked, counted as a login attempt) and
   * answers a new session: every earlier token, this request's included, is revoked.
   */
  async changePassword(userId: number, { currentPassword, newPassword }: PasswordChangeBody): Promise<Session> {
    const user = await this.users.findByIdOnPrimary(userId);
    if (!user) throw new UnauthorizedException('The account no longer exists.');
    await this.auth.countAttempt(user.email);
    if (!(await this.passwords.verify(user.passwordHash, currentPassword)))
      throw new ProblemException(403, 'wrong-password', 'The current password is wrong.', [
        { field: 'body.currentPassword', message: 'is wrong' },
      ]);
    const changed = await this.accounts.changePassword(
      userId,
      user.passwordHash,
      await this.passwords.hash(newPassword),
    );
    if (!changed) throw new ProblemException(409, 'password-changed', 'The password changed meanwhile; log in again.');
    await this.access.changed(userId);
    return this.auth.session(changed);
  }

  /** An admin sets a user's role; a change revokes the user's earlier tokens. @throws NotFoundException */
  async setRole(userId: number, role: User['role']): Promise<UserDto> {
    const user = await this.accounts.setRole(userId, role);
    if (!user) throw new NotFoundException('No such user.');
    await this.access.changed(userId);
    return toUserDto(user);
  }
}
