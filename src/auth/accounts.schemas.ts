import { z } from 'zod';
import { requestContract, responseContract } from '../common/openapi/contract.js';
import { email, password } from './auth.schemas.js';

/** An emailed token as sent back: 43 URL-safe base64 characters (32 random bytes); any string up to 200 is checked. */
const token = z
  .string({ error: 'is required' })
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' });

export const verifyEmailBody = requestContract('VerifyEmailRequest', z.object({ token }).strict());

export const passwordResetBody = requestContract('PasswordResetRequest', z.object({ email }).strict());

export const passwordResetConfirmBody = requestContract(
  'PasswordResetConfirmRequest',
  z.object({ token, newPassword: password }).strict(),
);

export const passwordChangeBody = requestContract(
  'PasswordChangeRequest',
  z
    .object({
      currentPassword: z.string({ error: 'is required' }).min(1, { error: 'must not be empty' }).max(200),
      newPassword: password,
    })
    .strict(),
);

export const userRoleBody = requestContract(
  'UserRoleUpdate',
  z.object({ role: z.enum(['customer', 'admin'], { error: 'must be "customer" or "admin"' }) }).strict(),
);

/**
 * The answer to a sign-up or a reset request, the same whatever the address: whether an account
 * exists is told only to the address's owner, by email.
 */
export const accountRequestAcceptedSchema = responseContract(
  'AccountRequestAccepted',
  z.object({
    status: z.literal('accepted'),
    detail: z.string().describe('What to do next: follow the emailed instructions'),
  }),
);

export type VerifyEmailBody = z.output<typeof verifyEmailBody>;
export type PasswordResetBody = z.output<typeof passwordResetBody>;
export type PasswordResetConfirmBody = z.output<typeof passwordResetConfirmBody>;
export type PasswordChangeBody = z.output<typeof passwordChangeBody>;
export type UserRoleBody = z.output<typeof userRoleBody>;
export type AccountRequestAccepted = z.infer<typeof accountRequestAcceptedSchema>;
