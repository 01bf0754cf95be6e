/** The queues the outbox relay feeds, named after what their jobs do. */
export const CHARGES_QUEUE = 'charges';
export const EMAILS_QUEUE = 'emails';

/** Injection token: every queue above, for code that watches them all (health, metrics, error log). */
export const ALL_QUEUES = Symbol('ALL_QUEUES');

/** Job names per outbox topic (what Bull Board and logs show). */
export const JOB_NAMES = { charge: 'deferred-charge', email: 'order-email', 'account-email': 'account-email' } as const;

export type EmailTemplate = 'order-confirmation' | 'payment-failed';

/** A deferred charge: the worker charges the order with the provider key `order-<id>`. */
export interface ChargeJobData {
  orderId: number;
  paymentToken: string;
  /** The outbox event this job came from (its id is also the job id). */
  outboxId: string;
  /** The trace the job continues (W3C traceparent of the request or job that wrote the event). */
  traceparent?: string;
}

export interface EmailJobData {
  orderId: number;
  template: EmailTemplate;
  outboxId: string;
  traceparent?: string;
}

/** An account email (on the `emails` queue): only who and what; the worker makes any token itself. */
export interface AccountEmailJobData {
  userId: number;
  kind: 'verify' | 'reset' | 'signup-attempt';
  outboxId: string;
  traceparent?: string;
}
