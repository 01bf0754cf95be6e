import { z } from 'zod';
import { int32, responseContract } from '../common/openapi/contract.js';
import { userSchema } from '../users/user.dto.js';

/** The answer to registering and logging in. */
export const sessionSchema = responseContract(
  'Session',
  z.object({
    accessToken: z.string().describe('A JWT: send it as `Authorization: Bearer <token>`'),
    tokenType: z.literal('Bearer'),
    expiresIn: int32.describe('Seconds the token is valid (JWT_TTL_S); no refresh tokens: log in again'),
    user: userSchema,
  }),
);

export type Session = z.infer<typeof sessionSchema>;
