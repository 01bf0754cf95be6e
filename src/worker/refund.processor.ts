import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { OrderRefunds } from '../payments/order-refunds.service.js';
import type { RefundJobData } from '../queues/queues.constants.js';
import { isLastAttempt } from './job-attempts.js';

/**
 * Refunds at the provider. The provider key is the refund's (`refund-<orderId>-<n>`), so a re-run
 * (retry, stalled or duplicate job) is the same refund; a settled refund is a no-op. "Later"
 * answers are thrown, so BullMQ retries with backoff (as charges); after the last attempt the
 * refund is recorded as failed, for an operator.
 */
@Injectable()
export class RefundProcessor {
  constructor(private readonly refunds: OrderRefunds) {}

  async process(job: Job<RefundJobData>): Promise<{ outcome: string }> {
    const { orderId, seq } = job.data;
    const result = await this.refunds.refund(orderId, seq);
    if (result.outcome !== 'retry-later') return { outcome: result.outcome };
    if (isLastAttempt(job)) {
      await this.refunds.giveUp(orderId, seq, result.reason);
      return { outcome: 'failed' };
    }
    throw new Error(`order ${orderId}: refund ${seq} deferred (${result.reason})`);
  }
}
