import { SetMetadata } from '@nestjs/common';
import { AUTHENTICATED } from './auth.constants.js';

export interface AuthenticatedOptions {
  /** Only admins. @default false */
  admin?: boolean;
}

/** The route needs a valid access token (401 without), and the admin role if asked (403). */
export const Authenticated = (options: AuthenticatedOptions = {}) => SetMetadata(AUTHENTICATED, options);
