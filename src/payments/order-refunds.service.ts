import { Injectable, Logger } from '@nestjs/common';
import { OrderRefundsRepository } from './order-refunds.repository.js';
import { PaymentGateway, type RefundResult } from './payment-gateway.js';

/**
 * Refunds at the provider, for the worker: one provider key per refund (`refund-<orderId>-<n>`),
 * so a retried or duplicated job is the same refund, and the provider never refunds more than
 * its charge. The refund row is the truth: its amount is what is asked, and a settled row is a no-op.
 */
@Injectable()
export class OrderRefunds {
  private readonly logger = new Logger('OrderRefunds');

  constructor(
    private readonly refunds: OrderRefundsRepository,
    private readonly gateway: PaymentGateway,
  ) {}

  async refund(orderId: number, seq: number): Promise<RefundResult | { outcome: 'settled'; status: string }> {
    const refund = await this.refunds.find(orderId, seq);
    if (!refund) throw new Error(`order ${orderId}: no refund ${seq}`);
    if (refund.status !== 'pending') return { outcome: 'settled', status: refund.status };
    const result = await this.gateway.refund({
      orderId,
      // The charge's own key (see OrderPayments.charge): the provider finds the charge by it.
      chargeIdempotencyKey: `order-${orderId}`,
      amountCents: refund.amountCents,
      idempotencyKey: `refund-${orderId}-${seq}`,
    });
    if (result.outcome === 'refunded') {
      if (await this.refunds.succeeded(orderId, seq, result.refundId)) await this.refunds.rememberWrite(refund.userId);
      this.logger.log(`order ${orderId}: refund ${seq} of ${refund.amountCents} cents made`);
    } else if (result.outcome === 'refused') {
      await this.giveUp(orderId, seq, result.reason);
    }
    return result;
  }

  /** No refund: recorded as failed, loudly (money the customer is owed did not go back). */
  async giveUp(orderId: number, seq: number, reason: string): Promise<void> {
    this.logger.error(`order ${orderId}: refund ${seq} failed (${reason}); it needs an operator`);
    await this.refunds.failed(orderId, seq);
  }
}
