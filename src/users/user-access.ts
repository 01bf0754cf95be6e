import { Injectable } from '@nestjs/common';
import { CacheService } from '../cache/index.js';
import { ProblemException } from '../common/http/index.js';
import { UsersRepository, type UserAccessRow } from './users.repository.js';

/**
 * `user-access`: what every authenticated request checks of its user (token version, role, whether
 * the address is verified), by user id. Changes (`changed`) delete the entry on every instance at
 * once (the cache's bus); the short TTL, without grace, bounds how long a lost bus message can keep
 * a revoked token working.
 */
export const USER_ACCESS_NAMESPACE = 'user-access';
export const USER_ACCESS_TTL_MS = 5_000;

/** The 403 of routes that need a verified address (OpenAPI). */
export const NOT_VERIFIED = 'The email address is not verified yet (POST /auth/verify with the emailed token)';

/** The access facts of users, read through the cache; the users domain owns the layout. */
@Injectable()
export class UserAccess {
  constructor(
    private readonly cache: CacheService,
    private readonly users: UsersRepository,
  ) {}

  /** A fresh in-process copy, synchronously (the guard's fast path), or `undefined`. */
  peek(userId: number): UserAccessRow | null | undefined {
    return this.cache.peekMemory<UserAccessRow>({ namespace: USER_ACCESS_NAMESPACE, id: userId })?.value;
  }

  /** The user's access facts; `null`: the account no longer exists. */
  of(userId: number): Promise<UserAccessRow | null> {
    return this.cache.getOrSet({ namespace: USER_ACCESS_NAMESPACE, id: userId }, () => this.users.findAccess(userId), {
      ttlMs: USER_ACCESS_TTL_MS,
      graceMs: 0,
    });
  }

  /** After a write to a user's token version, role or verification. */
  changed(userId: number): Promise<void> {
    return this.cache.delete({ namespace: USER_ACCESS_NAMESPACE, id: userId });
  }
}

/** The 403 of `@Authenticated({ verified: true })` for a user who has not proved their address. */
export const notVerified = () =>
  new ProblemException(
    403,
    'email-not-verified',
    'Verify your email address first: send the token emailed at sign-up to POST /auth/verify (or reset your password).',
  );
