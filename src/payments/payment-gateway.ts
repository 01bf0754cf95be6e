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

/** What the provider knows of a charge key: reconciliation settles from it. */
export type LookupResult =
  | { outcome: 'found'; chargeId: string; status: string }
  /** The provider has no charge with this key (never charged, or still processing it). */
  | { outcome: 'not-found' }
  /** The provider could not be asked: nothing is known. */
  | { outcome: 'unknown'; reason: string };

export abstract class PaymentGateway {
  abstract charge(request: ChargeRequest): Promise<ChargeResult>;
  /** The charge made with `idempotencyKey`, if any (after an answer was lost). */
  abstract lookup(idempotencyKey: string): Promise<LookupResult>;
  /** The breaker in front of the provider, for health and metrics. */
  abstract readonly circuit: 'closed' | 'open' | 'half-open';
}
