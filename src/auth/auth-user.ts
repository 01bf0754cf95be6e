import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { UserRole } from '../generated/prisma/client.js';

/** Who is calling, from a verified access token. */
export interface AuthUser {
  id: number;
  role: UserRole;
  /** The token's `tv`: refused once the user's token version moved on (role or password changed). */
  tokenVersion: number;
}

/** The caller of an `@Authenticated()` route. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  return context.switchToHttp().getRequest<{ user: AuthUser }>().user;
});
