import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { OrderPayments, PAYABLE } from '../payments/order-payments.service.js';
import { RECONCILE_JOB, type ChargeJobData } from '../queues/queues.constants.js';
import { isLastAttempt } from './job-attempts.js';
import { PaymentReconciler } from './payment-reconciler.js';

const NO_TOKEN = 'no payment token to charge with';

/**
 * Whether "not found" after this outcome means the provider will never charge: the call never left
 * (open breaker, or no token to charge with), or the provider answered it is unavailable. After a
 * timeout, a 409 (in flight) or a dropped connection it may still be charging: then the sweep asks
 * once it surely finished.
 */
const conclusive = (reason: string) =>
  reason === NO_TOKEN || reason === 'circuit open' || /^provider answered 5\d\d\b/.test(reason);

/**
 * Deferred charges. The provider key is the order's, so a re-run (retry, stalled job, duplicate
 * job) is the same charge; a settled order is a no-op. The token comes from the database (sealed),
 * never from the job. A "later" answer may hide a charge the provider made (its answer lost: a
 * timeout, a 5xx, a dropped connection), so the worker asks the provider by key before retrying:
 * found → paid. Only when it has not charged is the job thrown (BullMQ retries with backoff); the
 * last attempt then gives the order up (payment_failed, stock back, email) — unless the provider
 * could not be asked, or may still be charging (see `conclusive`): the order stays payment_pending
 * and the sweep asks again later.
 * The charges queue also runs the scheduled sweep (`RECONCILE_JOB`).
 */
@Injectable()
export class ChargeProcessor {
  constructor(
    private readonly payments: OrderPayments,
    private readonly reconciler: PaymentReconciler,
  ) {}

  async process(job: Job<ChargeJobData>): Promise<object> {
    if (job.name === RECONCILE_JOB.name) return this.reconciler.sweep();
    const { orderId } = job.data;
    const { order, token: stored } = await this.payments.forCharge(orderId);
    // A job an earlier version's instance wrote during a rollout (its token not in the database).
    const token = stored ?? (job.data as { paymentToken?: string }).paymentToken ?? null;
    if (!PAYABLE.has(order.status)) return { status: order.status };
    // No token (unreadable after a key rotation): nothing to retry with, so the lookup decides now.
    const last = isLastAttempt(job) || token === null;
    let reason = NO_TOKEN;
    if (token !== null) {
      const payment = await this.payments.charge(order, token);
      if (payment.result?.outcome !== 'retry-later') return { status: payment.status };
      reason = payment.result.reason;
      // The breaker stopped this call before the provider: nothing new to ask about, unless giving up.
      if (reason === 'circuit open' && !last) throw new Error(`order ${orderId}: charge deferred (${reason})`);
    }
    const { found, status } = await this.payments.reconcile(order);
    if (found === 'yes') return { status, reconciled: true };
    if (last && found === 'no' && conclusive(reason)) return { status: await this.payments.giveUp(order, reason) };
    if (last) return { status, reconciled: false, waiting: 'the provider may still charge; the sweep will ask' };
    throw new Error(`order ${orderId}: charge deferred (${reason})`);
  }
}
