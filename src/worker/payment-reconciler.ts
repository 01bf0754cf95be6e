import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppConfig } from '../config/index.js';
import { OrderPayments, PAYABLE } from '../payments/order-payments.service.js';
import { PaymentReconciliationRepository } from '../payments/payment-reconciliation.repository.js';
import { PaymentTokenCipher } from '../payments/payment-token-cipher.js';

export type SweepOutcome = 'paid' | 'charged' | 'failed' | 'waiting' | 'settled-elsewhere';

/**
 * The sweep of orders stuck waiting for a charge (pending or payment_pending, unchanged for
 * PAYMENT_RECONCILE_AFTER_MS): a BullMQ job scheduler runs it on the charges queue every
 * PAYMENT_RECONCILE_INTERVAL_MS, on one worker at a time. For each order the provider is asked by
 * the order's key first:
 * - found → paid (confirmation email), whatever happened to the answer or the job;
 * - not found, token kept, younger than PAYMENT_PENDING_MAX_MS → charged again with the SAME key
 *   (a charge still in flight elsewhere is the same charge at the provider: exactly once);
 * - not found, and too old or no token to charge with → payment_failed (stock back, email);
 * - the provider cannot be asked → asked again PAYMENT_RECONCILE_AFTER_MS later.
 * Taking an order leases it (see `take`): passes that overlap (a slow pass, several workers) never
 * handle the same order at once.
 * Each pass also erases the tokens of orders settled by paths that do not erase them.
 */
@Injectable()
export class PaymentReconciler {
  private readonly logger = new Logger('PaymentReconciler');
  private readonly outcomes = new Counter({
    name: 'payment_reconciliations_total',
    help: 'Orders the reconciliation sweep looked at, by what became of them',
    labelNames: ['outcome'],
  });

  constructor(
    private readonly config: AppConfig,
    private readonly payments: OrderPayments,
    private readonly repository: PaymentReconciliationRepository,
    private readonly cipher: PaymentTokenCipher,
  ) {}

  async sweep(): Promise<Partial<Record<SweepOutcome, number>> & { erased: number }> {
    const erased = await this.repository.eraseSettledTokens();
    const stuck = await this.repository.take(
      this.config.PAYMENT_RECONCILE_AFTER_MS,
      this.config.PAYMENT_RECONCILE_BATCH,
    );
    const counts: Partial<Record<SweepOutcome, number>> = {};
    // One at a time: a pass is small (a batch) and the provider is not hammered.
    for (const { orderId, ageMs } of stuck) {
      const outcome = await this.settle(orderId, ageMs).catch((error: Error) => {
        this.logger.warn(`order ${orderId}: reconciliation failed (${error.message}); next pass`);
        return 'waiting' as const;
      });
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      this.outcomes.inc({ outcome });
    }
    if (stuck.length) this.logger.log(`reconciliation pass: ${JSON.stringify(counts)}`);
    return { ...counts, erased };
  }

  private async settle(orderId: number, ageMs: number): Promise<SweepOutcome> {
    const { order, token } = await this.payments.forCharge(orderId);
    if (!PAYABLE.has(order.status)) return 'settled-elsewhere';
    const { found } = await this.payments.reconcile(order);
    if (found === 'yes') return 'paid';
    if (found === 'unknown') return 'waiting';
    if (token === null || ageMs > this.config.PAYMENT_PENDING_MAX_MS) {
      await this.payments.giveUp(order, token === null ? 'no payment token' : 'pending too long, never charged');
      return 'failed';
    }
    const payment = await this.payments.charge(order, token);
    if (payment.result?.outcome === 'retry-later') return 'waiting';
    return payment.status === 'paid' ? 'charged' : 'failed';
  }

  /**
   * Takes clear tokens out of outbox payloads (the migration's work, again: earlier instances may
   * have written some since) and seals every 'legacy:' one; at worker boot. Returns how many sealed.
   */
  async sealLegacyTokens(): Promise<number> {
    await this.repository.moveLegacyTokens();
    const rows = await this.repository.legacyTokens();
    return this.repository.replaceTokens(
      rows.map((row) => ({ ...row, sealed: this.cipher.seal(this.cipher.open(row.stored, row.userId), row.userId) })),
    );
  }
}
