import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { AUTHENTICATED } from './auth.constants.js';

export interface AuthenticatedOptions {
  /** Only admins. @default false */
  admin?: boolean;
  /** Only users whose email address is verified (403 `email-not-verified`): checkout, reviews. @default false */
  verified?: boolean;
}

/**
 * The route needs a valid access token (401 without), and the admin role if asked (403). Also
 * documents the bearer scheme (the OpenAPI builder adds the 401 and 403 answers from this metadata).
 */
export const Authenticated = (options: AuthenticatedOptions = {}) =>
  applyDecorators(SetMetadata(AUTHENTICATED, options), ApiBearerAuth());
