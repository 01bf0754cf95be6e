import { z } from 'zod';
import { bool, int } from './config-fields.js';

const DAY_S = 86_400;
const YEAR_S = 365 * DAY_S;
const EMAIL_DELIVERIES_DEFAULT_S = 30 * DAY_S;

/**
 * What the worker prunes, and when (`src/retention`): on BullMQ job schedulers every
 * RETENTION_INTERVAL_MS, in batches of RETENTION_BATCH_SIZE rows or jobs (one short statement or
 * call each), whatever is older than its window (seconds). See docs/operations.md.
 */
export const retentionFields = z.object({
  RETENTION_ENABLED: bool(true),
  RETENTION_INTERVAL_MS: int(100, DAY_S * 1_000, 900_000),
  RETENTION_BATCH_SIZE: int(1, 100_000, 1_000),
  // Keys replay for 24 h (Stripe's window), from their first use; a key whose request still holds
  // it is never pruned, nor one whose holder died, until a window after its lock lapsed.
  RETENTION_IDEMPOTENCY_KEYS_S: int(3_600, YEAR_S, DAY_S),
  // Outbox events, from when they were sent (unsent ones are never pruned).
  RETENTION_OUTBOX_EVENTS_S: int(3_600, YEAR_S, 7 * DAY_S),
  // Sent emails' "sent once" records, from when they were sent; at least as long as finished jobs.
  RETENTION_EMAIL_DELIVERIES_S: int(3_600, YEAR_S, EMAIL_DELIVERIES_DEFAULT_S),
  // Finished BullMQ jobs (the history Bull Board shows), from when they finished.
  RETENTION_COMPLETED_JOBS_S: int(60, YEAR_S, DAY_S),
  RETENTION_FAILED_JOBS_S: int(60, YEAR_S, 7 * DAY_S),
});

type RetentionFields = z.output<typeof retentionFields>;

/**
 * A kept job can be retried (Bull Board's "retry"), and an email job whose "sent once" record was
 * pruned would send its email again: the records must outlive the jobs. The issue names the
 * setting that was changed (the email window, unless it has its default).
 */
export function keepDeliveriesPastJobs(config: Partial<RetentionFields>, context: z.RefinementCtx): void {
  const deliveries = config.RETENTION_EMAIL_DELIVERIES_S;
  const [longest, jobsS] = (['RETENTION_COMPLETED_JOBS_S', 'RETENTION_FAILED_JOBS_S'] as const)
    .map((key) => [key, config[key] ?? 0] as const)
    .reduce((a, b) => (b[1] > a[1] ? b : a));
  if (deliveries === undefined || deliveries >= jobsS) return;
  const why = 'a retried job would send its email again';
  context.addIssue(
    deliveries === EMAIL_DELIVERIES_DEFAULT_S
      ? {
          code: 'custom',
          path: [longest],
          message: `must be at most RETENTION_EMAIL_DELIVERIES_S (${deliveries} s): ${why}`,
        }
      : {
          code: 'custom',
          path: ['RETENTION_EMAIL_DELIVERIES_S'],
          message: `must be at least ${longest} (${jobsS} s): ${why}`,
        },
  );
}
