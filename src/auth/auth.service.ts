import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { JwtService } from '@nestjs/jwt';
import { hash, verify } from '@node-rs/argon2';
import { AppConfig } from '../config/index.js';
import { Db } from '../database/index.js';
import type { User } from '../generated/prisma/client.js';
import { toUserDto, type UserDto } from '../users/user.dto.js';
import type { AuthUser } from './auth-user.js';
import { loginBody, type LoginBody, type RegisterBody } from './auth.schemas.js';

export interface Session {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: UserDto;
}

@Injectable()
export class AuthService {
  /** Verified against when the email is unknown, so that both cases take the same time. */
  private readonly dummyHash = hash('no-such-user-password');
  /** Basic credentials verified lately (by hash): a browser resends them with every request. */
  private readonly basicVerified = new LRUCache<string, AuthUser>({ max: 1_000, ttl: 60_000 });

  constructor(
    private readonly db: Db,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  async register({ email, password, name }: RegisterBody): Promise<Session> {
    const passwordHash = await hash(password); // argon2id, OWASP parameters (m=19 MiB, t=2)
    try {
      const user = await this.db.primary.user.create({ data: { email, name, passwordHash } });
      return this.session(user);
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002')
        throw new ConflictException('An account with this email already exists.');
      throw error;
    }
  }

  async login({ email, password }: LoginBody): Promise<Session> {
    // The primary: a user who just registered must be able to log in at once.
    const user = await this.db.primary.user.findUnique({ where: { email } });
    const stored = user?.passwordHash.startsWith('$argon2') ? user.passwordHash : await this.dummyHash;
    const valid = await verify(stored, password).catch(() => false);
    if (!user || !valid) throw new UnauthorizedException('Wrong email or password.');
    return this.session(user);
  }

  /** The user of a bearer access token. @throws UnauthorizedException */
  async verifyBearer(token: string): Promise<AuthUser> {
    try {
      const payload = await this.jwt.verifyAsync<{ sub: string; role: AuthUser['role'] }>(token);
      return { id: Number(payload.sub), role: payload.role };
    } catch {
      throw new UnauthorizedException('The access token is invalid or expired.');
    }
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
    const cacheKey = createHash('sha256').update(credentials).digest('base64');
    const known = this.basicVerified.get(cacheKey);
    if (known) return known;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    // Validated as a login body would be: a NUL in the email would fail the query (a 500), not the login.
    const login = loginBody.safeParse({ email: decoded.slice(0, separator), password: decoded.slice(separator + 1) });
    if (separator < 0 || !login.success) throw new UnauthorizedException('Wrong email or password.');
    const { user } = await this.login(login.data);
    const verified: AuthUser = { id: user.id, role: user.role };
    this.basicVerified.set(cacheKey, verified);
    return verified;
  }

  async me(id: number): Promise<UserDto> {
    const user = await this.db.reader().user.findUnique({ where: { id } });
    if (!user) throw new UnauthorizedException('The account no longer exists.');
    return toUserDto(user);
  }

  private async session(user: User): Promise<Session> {
    const accessToken = await this.jwt.signAsync({ sub: String(user.id), role: user.role });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.JWT_TTL_S, user: toUserDto(user) };
  }
}
