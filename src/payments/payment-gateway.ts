/** What the store needs from a payment provider. */
export interface ChargeRequest {
  orderId: number;
  amountCents: number;
  currency: string;
  /** The client's payment method token. */
  token: string;
  /** One per order and step: a retried charge is never a second charge. */
  idempotencyKey: string;
}

export type ChargeResult =
  | { outcome: 'charged'; chargeId: string }
  /** The card was refused: retrying will not help. */
  | { outcome: 'declined'; reason: string }
  /** The provider is slow, down, or the breaker is open: try again later. */
  | { outcome: 'retry-later'; reason: string };

/** A refund of (part of) an order's charge. */
export interface RefundRequest {
  orderId: number;
  /** The charge's own idempotency key (`order-<id>`): the provider finds the charge by it. */
  chargeIdempotencyKey: string;
  amountCents: number;
  /** One per refund (`refund-<orderId>-<n>`): a retried refund is never a second refund. */
  idempotencyKey: string;
}

export type RefundResult =
  | { outcome: 'refunded'; refundId: string }
  /** The provider refused (no such charge, more than is left of it): retrying will not help. */
  | { outcome: 'refused'; reason: string }
  | { outcome: 'retry-later'; reason: string };

/** What the provider knows of a charge key: reconciliation settles from it. */
export type LookupResult =
  | { outcome: 'found'; chargeId: string; status: string }
  /** The provider has no charge with this key (never charged, or still processing it). */
  | { outcome: 'not-found' }
  /** The provider could not be asked: nothing is known. */
  | { outcome: 'unknown'; reason: string };

export abstract class PaymentGateway {
  abstract charge(request: ChargeRequest): Promise<ChargeResult>;
  abstract refund(request: RefundRequest): Promise<RefundResult>;
  /** The charge made with `idempotencyKey`, if any (after an answer was lost). */
  abstract lookup(idempotencyKey: string): Promise<LookupResult>;
  /** The breaker in front of the provider, for health and metrics. */
  abstract readonly circuit: 'closed' | 'open' | 'half-open';
}
