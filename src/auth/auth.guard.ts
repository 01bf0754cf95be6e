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
import { AuthService } from './auth.service.js';
import type { AuthenticatedOptions } from './authenticated.decorator.js';

/**
 * Enforces `@Authenticated()`: 401 without a valid bearer token, 403 without the role. The HTTP
 * edge has already verified the token (`request.user`) for every request, public ones included
 * (rate limits and read-your-writes follow the user); where no edge ran (an app without it), the
 * token is verified here.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser | null }>();
    const required = this.reflector.getAllAndOverride<AuthenticatedOptions | undefined>(AUTHENTICATED, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (request.user === undefined) request.user = this.userOf(request.headers.authorization) ?? null;
    if (!required) return true;
    if (!request.user)
      throw new UnauthorizedException(
        request.headers.authorization
          ? 'The access token is invalid or expired.'
          : 'This route needs a bearer access token (POST /auth/login).',
      );
    if (required.admin && request.user.role !== 'admin') throw new ForbiddenException('This route is for admins only.');
    return true;
  }

  private userOf(header: string | undefined): AuthUser | undefined {
    const [scheme, token] = header?.split(' ') ?? [];
    return scheme?.toLowerCase() === 'bearer' && token ? this.auth.userOfBearer(token) : undefined;
  }
}
