import { Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { inSpan, SpanKind, withTraceHeaders } from '../tracing/trace-context.js';
import {
  PaymentGateway,
  type ChargeRequest,
  type ChargeResult,
  type LookupResult,
  type RefundRequest,
  type RefundResult,
} from './payment-gateway.js';

export interface HttpPaymentGatewayOptions {
  baseUrl: string;
  /** A charge slower than this counts as a failure. @default 2_000 */
  timeoutMs?: number;
  /** Consecutive failures that open the breaker. @default 5 */
  failureThreshold?: number;
  /** How long the breaker stays open before one trial charge. @default 5_000 */
  halfOpenAfterMs?: number;
}

/** A provider answer that says "later" (5xx, 409 in use, 429): counted by the breaker. */
class RetryableGatewayError extends Error {}

/**
 * The provider over HTTP, behind a timeout and a circuit breaker (cockatiel). Declines (4xx) are
 * answers, not failures: they never open the breaker. While it is open, charges answer
 * `retry-later` at once instead of waiting on a provider that is down.
 */
export class HttpPaymentGateway extends PaymentGateway {
  private readonly logger = new Logger('PaymentGateway');
  private readonly policy: IPolicy;
  private readonly lookupTimeout: IPolicy;
  private readonly breaker;

  constructor(private readonly options: HttpPaymentGatewayOptions) {
    super();
    this.breaker = circuitBreaker(
      handleWhen(
        (error) =>
          error instanceof RetryableGatewayError || error instanceof TaskCancelledError || error instanceof TypeError,
      ),
      {
        halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
        breaker: new ConsecutiveBreaker(options.failureThreshold ?? 5),
      },
    );
    this.breaker.onStateChange((state) =>
      this.logger.warn(`payment gateway circuit ${CircuitState[state].toLowerCase()}`),
    );
    this.policy = wrap(this.breaker, timeout(options.timeoutMs ?? 2_000, TimeoutStrategy.Aggressive));
    this.lookupTimeout = timeout(options.timeoutMs ?? 2_000, TimeoutStrategy.Aggressive);
  }

  /** `closed`, `open`, `half-open`: for health and metrics. */
  get circuit(): 'closed' | 'open' | 'half-open' {
    return this.breaker.state === CircuitState.Closed
      ? 'closed'
      : this.breaker.state === CircuitState.HalfOpen
        ? 'half-open'
        : 'open';
  }

  charge(request: ChargeRequest): Promise<ChargeResult> {
    const attributes = { 'payment.order_id': request.orderId, 'payment.circuit': this.circuit };
    return inSpan('payment charge', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const result = await this.chargeThroughPolicy(request);
      span.setAttribute('payment.outcome', result.outcome);
      return result;
    });
  }

  /** A refund through the same timeout and breaker as charges (one provider, one health). */
  refund(request: RefundRequest): Promise<RefundResult> {
    const attributes = { 'payment.order_id': request.orderId, 'payment.circuit': this.circuit };
    return inSpan('payment refund', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      let result: RefundResult;
      try {
        result = await this.policy.execute(
          ({ signal }) => this.postRefund(request, signal),
          new AbortController().signal,
        );
      } catch (error) {
        result = { outcome: 'retry-later', reason: retryReason(error) };
      }
      span.setAttribute('payment.outcome', result.outcome);
      return result;
    });
  }

  /**
   * Only the worker asks (reconciliation), after a charge's answer was lost: behind the timeout but
   * not the breaker, so an open breaker (charges failing) does not stop it from learning that a
   * charge went through; its failures do not count toward opening it either.
   */
  lookup(idempotencyKey: string): Promise<LookupResult> {
    return inSpan('payment lookup', { kind: SpanKind.CLIENT }, async (span) => {
      const result = await this.lookupTimeout
        .execute(({ signal }) => this.get(idempotencyKey, signal), new AbortController().signal)
        .catch((error: Error): LookupResult => ({
          outcome: 'unknown',
          reason: error instanceof TaskCancelledError ? 'timed out' : error.message,
        }));
      span.setAttribute('payment.lookup', result.outcome);
      return result;
    });
  }

  private async postRefund(request: RefundRequest, signal: AbortSignal): Promise<RefundResult> {
    const response = await fetch(`${this.options.baseUrl}/refunds`, {
      method: 'POST',
      signal,
      headers: withTraceHeaders({ 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey }),
      body: JSON.stringify({ chargeIdempotencyKey: request.chargeIdempotencyKey, amountCents: request.amountCents }),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: string; error?: string };
    if (response.ok && body.id) return { outcome: 'refunded', refundId: body.id };
    if (response.status >= 500 || response.status === 409 || response.status === 429) {
      throw new RetryableGatewayError(`provider answered ${response.status} ${body.error ?? ''}`.trim());
    }
    return { outcome: 'refused', reason: body.error ?? `provider answered ${response.status}` };
  }

  private async get(idempotencyKey: string, signal: AbortSignal): Promise<LookupResult> {
    const response = await fetch(`${this.options.baseUrl}/charges/by-key/${encodeURIComponent(idempotencyKey)}`, {
      signal,
      headers: withTraceHeaders({ accept: 'application/json' }),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: string; status?: string };
    if (response.status === 404) return { outcome: 'not-found' };
    if (response.ok && body.id) return { outcome: 'found', chargeId: body.id, status: body.status ?? 'succeeded' };
    return { outcome: 'unknown', reason: `provider answered ${response.status}` };
  }

  private async chargeThroughPolicy(request: ChargeRequest): Promise<ChargeResult> {
    try {
      // A signal per call: cockatiel's default is one shared signal that collects a listener per
      // concurrent call (and Node's "possible leak" warning past 10).
      return await this.policy.execute(({ signal }) => this.post(request, signal), new AbortController().signal);
    } catch (error) {
      return { outcome: 'retry-later', reason: retryReason(error) };
    }
  }

  private async post(request: ChargeRequest, signal: AbortSignal): Promise<ChargeResult> {
    const response = await fetch(`${this.options.baseUrl}/charges`, {
      method: 'POST',
      signal,
      // traceparent too: a provider that traces sees its part of the charge in our trace.
      headers: withTraceHeaders({ 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey }),
      body: JSON.stringify({
        orderId: request.orderId,
        amountCents: request.amountCents,
        currency: request.currency,
        token: request.token,
      }),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: string; error?: string };
    if (response.ok && body.id) return { outcome: 'charged', chargeId: body.id };
    if (response.status >= 500 || response.status === 409 || response.status === 429) {
      throw new RetryableGatewayError(`provider answered ${response.status} ${body.error ?? ''}`.trim());
    }
    return { outcome: 'declined', reason: body.error ?? `provider answered ${response.status}` };
  }
}

/** Why a call through the policy must be tried again later. */
function retryReason(error: unknown): string {
  if (error instanceof BrokenCircuitError) return 'circuit open';
  if (error instanceof TaskCancelledError) return 'timed out';
  return (error as Error).message;
}
