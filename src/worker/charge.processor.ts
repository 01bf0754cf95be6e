import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { OrderPayments } from '../payments/order-payments.service.js';
import type { ChargeJobData } from '../queues/queues.constants.js';
import { isLastAttempt } from './job-attempts.js';

/**
 * Deferred charges. The provider key is the order's, so a re-run (retry, stalled job, duplicate
 * job) is the same charge; a settled order is a no-op. "Later" answers are thrown, so BullMQ
 * retries with backoff; the last attempt gives the order up (payment_failed, stock back, email).
 */
@Injectable()
export class ChargeProcessor {
  constructor(private readonly payments: OrderPayments) {}

  async process(job: Job<ChargeJobData>): Promise<{ status: string }> {
    const { orderId, paymentToken } = job.data;
    const payment = await this.payments.charge(orderId, paymentToken);
    if (payment.result?.outcome !== 'retry-later') return { status: payment.status };
    if (isLastAttempt(job)) return { status: await this.payments.giveUp(orderId, payment.result.reason) };
    throw new Error(`order ${orderId}: charge deferred (${payment.result.reason})`);
  }
}
