import { z } from 'zod';
import { limitParam } from '../common/http/query-params.js';
import {
  int32,
  isoDateTime as dateTime,
  pageOf,
  requestContract,
  responseContract,
} from '../common/openapi/contract.js';
import { cursorParam, isId } from '../common/pagination/keyset-cursor.js';
import { API_KEY_POLICIES, MAX_API_KEY_LIMIT } from './api-keys.constants.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A key's name: safe in logs and metric labels, as the edge may put it there. */
export const apiKeyName = z
  .string({ error: 'is required' })
  .regex(NAME, 'must be 1–64 characters: letters, digits, ".", "_" and "-", starting with a letter or digit');

const policyLimit = z
  .number({ error: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be at least 1')
  .max(MAX_API_KEY_LIMIT, `must be at most ${MAX_API_KEY_LIMIT.toLocaleString('en')}`);

/** Per-policy overrides, e.g. `{ "default": 1000, "search": 60 }`; only known policy names. */
export const apiKeyLimits = z.strictObject(
  Object.fromEntries(API_KEY_POLICIES.map((policy) => [policy, policyLimit.optional()])) as Record<
    (typeof API_KEY_POLICIES)[number],
    z.ZodOptional<typeof policyLimit>
  >,
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown policy ${issue.keys.join(', ')}; allowed: ${API_KEY_POLICIES.join(', ')}`
        : issue.code === 'invalid_type'
          ? 'must be an object of policy limits, e.g. { "default": 1000 }'
          : undefined,
  },
);

export const issueApiKeyBody = requestContract(
  'ApiKeyRequest',
  z
    .object({
      name: apiKeyName,
      limits: apiKeyLimits.optional(),
      expiresAt: z.iso
        .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z' })
        .transform((value) => new Date(value))
        .refine((date) => date.getTime() > Date.now(), 'must be in the future')
        .optional(),
    })
    .strict(),
);

export type IssueApiKeyBody = z.output<typeof issueApiKeyBody>;

export const listApiKeysQuery = z
  .object({
    limit: limitParam,
    // Newest first: the cursor is the last id of the page before.
    cursor: cursorParam
      .transform((parts, context) => {
        if (parts.length === 1 && isId(parts[0])) return parts[0];
        context.addIssue({ code: 'custom', message: 'is not a valid cursor' });
        return z.NEVER;
      })
      .optional(),
  })
  .strict();

export type ListApiKeysQuery = z.output<typeof listApiKeysQuery>;

const limitsOut = z.object(Object.fromEntries(API_KEY_POLICIES.map((policy) => [policy, z.number().optional()])));

/** A key as operators see it: never the key, never its hash. */
export const apiKeySchema = responseContract(
  'ApiKey',
  z.object({
    id: int32,
    name: z.string(),
    prefix: z.string().describe('The key’s first characters, e.g. sk_AbC123'),
    last4: z.string().describe('The key’s last four characters'),
    limits: limitsOut,
    status: z.enum(['active', 'expired', 'revoked']),
    createdAt: dateTime,
    expiresAt: dateTime.optional().describe('Absent: the key never expires'),
    revokedAt: dateTime.optional().describe('Absent: not revoked'),
  }),
);

/** The answer to issuing: the only time the key itself is shown. */
export const issuedApiKeySchema = responseContract(
  'IssuedApiKey',
  apiKeySchema
    .pick({ id: true, name: true, prefix: true, last4: true, limits: true, createdAt: true, expiresAt: true })
    .extend({ key: z.string().describe('The API key: shown once, stored nowhere (only its SHA-256)') }),
);

export const apiKeyPageSchema = pageOf('ApiKeyPage', apiKeySchema);

export type ApiKeyDto = z.output<typeof apiKeySchema>;
export type IssuedApiKey = z.output<typeof issuedApiKeySchema>;
