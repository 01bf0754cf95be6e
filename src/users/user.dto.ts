import { z } from 'zod';
import { int32, isoDateTime, responseContract } from '../common/openapi/contract.js';

/** What clients see of a user. Built field by field (`toUserDto`): the password hash can never leak. */
export const userSchema = responseContract(
  'User',
  z.object({
    id: int32,
    email: z.email(),
    name: z.string(),
    role: z.enum(['customer', 'admin']),
    emailVerified: z
      .boolean()
      .describe('Whether the address is verified (POST /auth/verify): checkout and reviews need it'),
    createdAt: isoDateTime,
  }),
);

/** Who wrote a review or placed an order, as others may see it. */
export const userSummarySchema = responseContract('UserSummary', userSchema.pick({ id: true, name: true }));

export type UserDto = z.infer<typeof userSchema>;
export type UserSummary = z.infer<typeof userSummarySchema>;

export function toUserDto(user: {
  id: number;
  email: string;
  name: string;
  role: UserDto['role'];
  emailVerifiedAt: Date | null;
  createdAt: Date;
}): UserDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}
