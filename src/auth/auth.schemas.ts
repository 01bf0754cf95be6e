import { z } from 'zod';
import { STORABLE_TEXT, isStorableText } from '../common/http/query-params.js';
import { requestContract } from '../common/openapi/contract.js';

export const email = z
  .email({ error: 'must be an email address' })
  .max(254)
  .transform((value) => value.toLowerCase());
export const password = z
  .string({ error: 'is required' })
  .min(8, { error: 'must be at least 8 characters' })
  .max(200, { error: 'must be at most 200 characters' });

export const registerBody = requestContract(
  'RegisterRequest',
  z
    .object({
      email,
      password,
      name: z
        .string({ error: 'is required' })
        .trim()
        .min(1, { error: 'must not be empty' })
        .max(100)
        .refine(isStorableText, STORABLE_TEXT),
    })
    .strict(),
);

export const loginBody = requestContract(
  'LoginRequest',
  z.object({ email, password: z.string({ error: 'is required' }).min(1).max(200) }).strict(),
);

export type RegisterBody = z.output<typeof registerBody>;
export type LoginBody = z.output<typeof loginBody>;
