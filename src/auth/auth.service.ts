import { Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/index.js';
import { UsersRepository } from '../users/users.repository.js';
import { RateLimitService, limitRefusal } from '../rate-limit/index.js';
import { UserAccess } from '../users/user-access.js';
import type { UserAccessRow } from '../users/users.repository.js';
import { toUserDto, type UserDto } from '../users/user.dto.js';
import type { AuthUser } from './auth-user.js';
import type { AccountRequestAccepted } from './accounts.schemas.js';
import { AccountsRepository, type SessionUser } from './accounts.repository.js';
import { loginBody, type LoginBody, type RegisterBody } from './auth.schemas.js';
import { PasswordHasher } from './password-hasher.js';
import type { Session } from './session.dto.js';

@Injectable()
export class AuthService {
  /** Basic credentials verified lately (by hash): a browser resends them with every request. */
  private readonly basicVerified = new LRUCache<string, AuthUser>({ max: 1_000, ttl: 60_000 });
  /** Bearer tokens verified lately: a client sends the same one with every request until it expires. */
  private readonly bearerVerified = new LRUCache<string, AuthUser & { expiresAt: number }>({ max: 10_000 });

  constructor(
    private readonly users: UsersRepository,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly passwords: PasswordHasher,
    private readonly limits: RateLimitService,
    private readonly accounts: AccountsRepository,
    private readonly access: UserAccess,
  ) {}

  /**
   * A new unverified account and its verification email, or, when the address is taken, an email
   * to its owner instead: the same answer and the same work (a hash, one statement) either way.
   */
  async register({ email, password, name }: RegisterBody): Promise<AccountRequestAccepted> {
    await this.countAttempt(email);
    const passwordHash = await this.passwords.hash(password);
    await this.accounts.register({ email, name, passwordHash });
    return ACCEPTED;
  }

  async login(body: LoginBody): Promise<Session> {
    return this.session(await this.checkCredentials(body));
  }

  /** The user these credentials belong to. @throws UnauthorizedException, ProblemException 429 */
  private async checkCredentials({ email, password }: LoginBody): Promise<SessionUser> {
    await this.countAttempt(email);
    // The primary: a user who just registered must be able to log in at once.
    const user = await this.users.findByEmail(email);
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid) throw new UnauthorizedException('Wrong email or password.');
    return user;
  }

  /**
   * Password guesses are limited per account too (the `account` policy), whatever IPs and keys
   * they come from. @throws ProblemException 429, or 503 when the count cannot be kept
   */
  async countAttempt(email: string): Promise<void> {
    if (!this.limits.enabled) return;
    const account = `account:${createHash('sha256').update(email).digest('base64url').slice(0, 22)}`;
    const decision = await this.limits.consume('account', account);
    if (!decision.allowed) throw limitRefusal(decision);
  }

  /**
   * The user of a bearer access token, or `undefined` if it is invalid or expired. Synchronous:
   * recently verified tokens are remembered until they expire (HMAC and JSON once per token).
   * Every token this API issues expires: one without `exp` is refused (it was accepted once, then
   * remembered as expired).
   */
  userOfBearer(token: string): AuthUser | undefined {
    const known = this.bearerVerified.get(token);
    if (known)
      return Date.now() < known.expiresAt
        ? { id: known.id, role: known.role, tokenVersion: known.tokenVersion }
        : undefined;
    try {
      const payload = this.jwt.verify<{ sub: string; role: AuthUser['role']; tv?: number; exp?: number }>(token);
      if (typeof payload.exp !== 'number') return undefined;
      // Tokens issued before token versions existed carry none: version 0, revoked by the first change.
      const user: AuthUser = { id: Number(payload.sub), role: payload.role, tokenVersion: payload.tv ?? 0 };
      this.bearerVerified.set(token, { ...user, expiresAt: payload.exp * 1000 });
      return user;
    } catch {
      return undefined;
    }
  }

  /** The user of a bearer access token that is still current. @throws UnauthorizedException */
  async verifyBearer(token: string): Promise<AuthUser> {
    const user = this.userOfBearer(token);
    if (!user) throw new UnauthorizedException('The access token is invalid or expired.');
    if (!(await this.isCurrent(user))) throw revoked();
    return user;
  }

  /**
   * Whether a verified token still speaks for its user: same token version (no role or password
   * change since) and same role. Synchronous when the user's access facts are in memory (the
   * common case: every request of a user within USER_ACCESS_TTL_MS after the first).
   */
  isCurrent(user: AuthUser): boolean | Promise<boolean> {
    const known = this.access.peek(user.id);
    if (known !== undefined) return tokenIsCurrent(user, known);
    return this.access.of(user.id).then((access) => tokenIsCurrent(user, access));
  }

  /**
   * The user of an Authorization header: `Bearer <token>`, or `Basic` email:password where
   * `basic` allows it (pages a browser opens, such as the queue board). @throws UnauthorizedException
   */
  async userOf(header: string, { basic = false } = {}): Promise<AuthUser> {
    const [scheme = '', credentials = ''] = header.split(' ');
    if (scheme.toLowerCase() === 'bearer' && credentials) return this.verifyBearer(credentials);
    if (!basic || scheme.toLowerCase() !== 'basic' || !credentials)
      throw new UnauthorizedException('The Authorization header must be "Bearer <access token>".');
    return this.knownBasic(credentials) ?? this.verifyBasic(credentials);
  }

  /** The user of Basic credentials verified within the last minute, if any (no password check). */
  knownBasic(credentials: string): AuthUser | undefined {
    return this.basicVerified.get(basicCacheKey(credentials));
  }

  /** Checks Basic credentials as a login would (per-account limit, argon2). @throws UnauthorizedException */
  async verifyBasic(credentials: string): Promise<AuthUser> {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    // Validated as a login body would be: a NUL in the email would fail the query (a 500), not the login.
    const login = loginBody.safeParse({ email: decoded.slice(0, separator), password: decoded.slice(separator + 1) });
    if (separator < 0 || !login.success) throw new UnauthorizedException('Wrong email or password.');
    const user = await this.checkCredentials(login.data);
    const verified: AuthUser = { id: user.id, role: user.role, tokenVersion: user.tokenVersion };
    this.basicVerified.set(basicCacheKey(credentials), verified);
    return verified;
  }

  async me(id: number): Promise<UserDto> {
    const user = await this.users.findById(id);
    if (!user) throw new UnauthorizedException('The account no longer exists.');
    return toUserDto(user);
  }

  /** A new access token for the user as it is now (its `tv` the current token version). */
  async session(user: SessionUser): Promise<Session> {
    const accessToken = await this.jwt.signAsync({ sub: String(user.id), role: user.role, tv: user.tokenVersion });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.JWT_TTL_S, user: toUserDto(user) };
  }
}

/** What sign-ups and reset requests answer, whatever the address. */
export const ACCEPTED: AccountRequestAccepted = Object.freeze({
  status: 'accepted',
  detail: 'If the address can receive it, an email is on its way: follow its instructions.',
});

/** Whether a token's user still has the token's version and role (`access`: the user's now; null: gone). */
export function tokenIsCurrent(user: AuthUser, access: UserAccessRow | null): access is UserAccessRow {
  return !!access && access.tokenVersion === user.tokenVersion && access.role === user.role;
}

export const revoked = () =>
  new UnauthorizedException('The access token was revoked (the password or role changed): log in again.');

function basicCacheKey(credentials: string): string {
  return createHash('sha256').update(credentials).digest('base64');
}
