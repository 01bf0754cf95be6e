import { z } from 'zod';
import { responseContract } from '../common/openapi/contract.js';

export const livenessSchema = responseContract('Liveness', z.object({ status: z.literal('ok') }));

const checks = z.record(z.string(), z.object({ status: z.enum(['up', 'down']) }));

/** The Terminus report, statuses only (errors, lag and backlogs are on the operations port). */
export const readinessSchema = responseContract(
  'Readiness',
  z.object({
    status: z.enum(['ok', 'degraded', 'error']).describe('degraded: a replica, the cache or a queue impaired'),
    info: checks.optional(),
    error: checks.optional(),
    details: checks,
  }),
);

export type Liveness = z.infer<typeof livenessSchema>;
