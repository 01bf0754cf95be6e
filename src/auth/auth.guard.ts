import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTHENTICATED } from './auth.constants.js';
import type { AuthUser } from './auth-user.js';
import { UserAccess, notVerified } from '../users/user-access.js';
import type { UserAccessRow } from '../users/users.repository.js';
import { AuthService, revoked, tokenIsCurrent } from './auth.service.js';
import type { AuthenticatedOptions } from './authenticated.decorator.js';

/**
 * Enforces `@Authenticated()`: 401 without a valid bearer token or with a revoked one (its token
 * version behind the user's), 403 without the role or, where asked, a verified address. The HTTP
 * edge has already verified the token (`request.user`) for every request, public ones included
 * (rate limits and read-your-writes follow the user); where no edge ran (an app without it), the
 * token is verified here.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    private readonly access: UserAccess,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser | null }>();
    const required = this.reflector.getAllAndOverride<AuthenticatedOptions | undefined>(AUTHENTICATED, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (request.user === undefined) request.user = this.userOf(request.headers.authorization) ?? null;
    if (!required) return true;
    const user = request.user;
    if (!user)
      throw new UnauthorizedException(
        request.headers.authorization
          ? 'The access token is invalid or expired.'
          : 'This route needs a bearer access token (POST /auth/login).',
      );
    // Revocation: the token's version and role against the user's, through the cache (in memory
    // for every request of a user but the first each USER_ACCESS_TTL_MS: no promise, no Redis).
    const known = this.access.peek(user.id);
    if (known !== undefined) return this.admits(required, user, known);
    return this.access.of(user.id).then((access) => this.admits(required, user, access));
  }

  private admits(required: AuthenticatedOptions, user: AuthUser, access: UserAccessRow | null): boolean {
    if (!tokenIsCurrent(user, access)) throw revoked();
    if (required.admin && user.role !== 'admin') throw new ForbiddenException('This route is for admins only.');
    if (required.verified && !access.verified) throw notVerified();
    return true;
  }

  private userOf(header: string | undefined): AuthUser | undefined {
    const [scheme, token] = header?.split(' ') ?? [];
    return scheme?.toLowerCase() === 'bearer' && token ? this.auth.userOfBearer(token) : undefined;
  }
}
