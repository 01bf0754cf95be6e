import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblems } from '../common/openapi/zod-openapi.js';
import { AUTHENTICATED } from './auth.constants.js';

export interface AuthenticatedOptions {
  /** Only admins. @default false */
  admin?: boolean;
}

/**
 * The route needs a valid access token (401 without), and the admin role if asked (403). Also
 * documents the bearer scheme and those answers in the OpenAPI document.
 */
export const Authenticated = (options: AuthenticatedOptions = {}) =>
  applyDecorators(
    SetMetadata(AUTHENTICATED, options),
    ApiBearerAuth(),
    ApiProblems(...(options.admin ? [401, 403] : [401])),
  );
