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
 * Reads the bearer token on every request (so public routes know the caller too, e.g. for
 * read-your-writes), and enforces `@Authenticated()`: 401 without a valid token, 403 without the role.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const required = this.reflector.getAllAndOverride<AuthenticatedOptions | undefined>(AUTHENTICATED, [
      context.getHandler(),
      context.getClass(),
    ]);
    const header = request.headers.authorization;
    if (header) request.user = await this.verify(header, required !== undefined);
    if (!required) return true;
    if (!request.user) throw new UnauthorizedException('This route needs a bearer access token (POST /auth/login).');
    if (required.admin && request.user.role !== 'admin') throw new ForbiddenException('This route is for admins only.');
    return true;
  }

  private async verify(header: string, required: boolean): Promise<AuthUser | undefined> {
    try {
      return await this.auth.userOf(header);
    } catch (error) {
      // A bad token on a public route is ignored; on a protected one it is a 401.
      if (required) throw error;
      return undefined;
    }
  }
}
