import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/index.js';
import { UsersRepository } from '../users/users.repository.js';
import type { User } from '../generated/prisma/client.js';
import { RateLimitService, limitRefusal } from '../rate-limit/index.js';
import { toUserDto, type UserDto } from '../users/user.dto.js';
import type { AuthUser } from './auth-user.js';
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
  ) {}

  async register({ email, password, name }: RegisterBody): Promise<Session> {
    const passwordHash = await this.passwords.hash(password);
    try {
      const user = await this.users.create({ email, name, passwordHash });
      return this.session(user);
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002')
        throw new ConflictException('An account with this email already exists.');
      throw error;
    }
  }

  async login({ email, password }: LoginBody): Promise<Session> {
    await this.countAttempt(email);
    // The primary: a user who just registered must be able to log in at once.
    const user = await this.users.findByEmail(email);
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid) throw new UnauthorizedException('Wrong email or password.');
    return this.session(user);
  }

  /**
   * Password guesses are limited per account too (the `account` policy), whatever IPs and keys
   * they come from. @throws ProblemException 429, or 503 when the count cannot be kept
   */
  private async countAttempt(email: string): Promise<void> {
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
    if (known) return Date.now() < known.expiresAt ? { id: known.id, role: known.role } : undefined;
    try {
      const payload = this.jwt.verify<{ sub: string; role: AuthUser['role']; exp?: number }>(token);
      if (typeof payload.exp !== 'number') return undefined;
      const user: AuthUser = { id: Number(payload.sub), role: payload.role };
      this.bearerVerified.set(token, { ...user, expiresAt: payload.exp * 1000 });
      return user;
    } catch {
      return undefined;
    }
  }

  /** The user of a bearer access token. @throws UnauthorizedException */
  async verifyBearer(token: string): Promise<AuthUser> {
    const user = this.userOfBearer(token);
    if (!user) throw new UnauthorizedException('The access token is invalid or expired.');
    return user;
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
    const { user } = await this.login(login.data);
    const verified: AuthUser = { id: user.id, role: user.role };
    this.basicVerified.set(basicCacheKey(credentials), verified);
    return verified;
  }

  async me(id: number): Promise<UserDto> {
    const user = await this.users.findById(id);
    if (!user) throw new UnauthorizedException('The account no longer exists.');
    return toUserDto(user);
  }

  private async session(user: User): Promise<Session> {
    const accessToken = await this.jwt.signAsync({ sub: String(user.id), role: user.role });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.JWT_TTL_S, user: toUserDto(user) };
  }
}

function basicCacheKey(credentials: string): string {
  return createHash('sha256').update(credentials).digest('base64');
}
