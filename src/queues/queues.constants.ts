/** The queues the outbox relay feeds, named after what their jobs do. */
export const CHARGES_QUEUE = 'charges';
export const EMAILS_QUEUE = 'emails';
export const REFUNDS_QUEUE = 'refunds';

/**
 * The worker's own chores (retention), fed by BullMQ job schedulers rather than the outbox: one
 * job per interval for the whole fleet, however many workers run. Registered by the worker only.
 */
export const MAINTENANCE_QUEUE = 'maintenance';

/** Injection token: every queue the outbox feeds (above), for code that watches them all (health, metrics, error log). */
export const ALL_QUEUES = Symbol('ALL_QUEUES');

/** Job names per outbox topic (what Bull Board and logs show). */
export const JOB_NAMES = {
  charge: 'deferred-charge',
  email: 'order-email',
  refund: 'order-refund',
  'account-email': 'account-email',
} as const;

export type EmailTemplate =
  'order-confirmation' | 'payment-failed' | 'order-cancelled' | 'order-shipped' | 'order-refunded';

/** The charges queue's scheduled sweep of orders stuck waiting for a charge (not an outbox topic). */
export const RECONCILE_JOB = { name: 'reconcile-payments', schedulerId: 'payment-reconciliation' } as const;

/**
 * A deferred charge: the worker charges the order with the provider key `order-<id>`. No payment
 * token here (jobs are kept for days and shown in Bull Board): the worker reads the sealed one.
 */
export interface ChargeJobData {
  orderId: number;
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

/** A refund of an order: the worker asks the provider with the key `refund-<orderId>-<seq>`. */
export interface RefundJobData {
  orderId: number;
  /** The refund's number within its order (`order_refunds.seq`). */
  seq: number;
  amountCents: number;
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
