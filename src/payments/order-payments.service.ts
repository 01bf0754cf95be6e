import { Injectable, Logger } from '@nestjs/common';
import type { OrderStatus } from '../generated/prisma/client.js';
import { ORDER_TRANSITIONS } from '../orders/order-lifecycle.js';
import { ProductsCache } from '../products/products.cache.js';
import { OrderPaymentsRepository, type OrderPayment } from './order-payments.repository.js';
import { PaymentGateway, type ChargeResult } from './payment-gateway.js';
import { PaymentTokenCipher } from './payment-token-cipher.js';

export type { OrderPayment } from './order-payments.repository.js';

/** Statuses that still wait for a charge. */
export const PAYABLE: ReadonlySet<OrderStatus> = new Set(ORDER_TRANSITIONS.pay.from);

/**
 * An order's payment, for the checkout (inline) and the worker (deferred): one provider key per
 * order (`order-<id>`), so every path and every retry is the same charge; each settlement is a
 * conditional status change from a payable status, so only the first one has effects. Those
 * effects commit with it: stock returned on failure, the pending charge event cancelled, the
 * email event written. Then caches and the user's read position follow.
 */
@Injectable()
export class OrderPayments {
  private readonly logger = new Logger('OrderPayments');

  constructor(
    private readonly orders: OrderPaymentsRepository,
    private readonly gateway: PaymentGateway,
    private readonly products: ProductsCache,
    private readonly cipher: PaymentTokenCipher,
  ) {}

  /** The order as it stands, with its payment token opened (null: erased, never stored, or unreadable). */
  async forCharge(orderId: number): Promise<{ order: OrderPayment; token: string | null }> {
    const found = await this.orders.findForCharge(orderId);
    if (!found) throw new Error(`order ${orderId} does not exist`);
    const { sealedToken, ...order } = found;
    if (sealedToken === null) return { order, token: null };
    try {
      return { order, token: this.cipher.open(sealedToken, order.userId) };
    } catch {
      // Another key (PAYMENT_TOKEN_KEY or JWT_SECRET rotated): the order settles by lookup alone.
      this.logger.warn(`order ${orderId}: its payment token cannot be opened with the configured key`);
      return { order, token: null };
    }
  }

  /**
   * Asks the provider what became of the order's charge (its key), for when an answer was lost:
   * found → the order is paid (once: a conditional settlement, whoever comes first); `not-found`
   * and `unknown` change nothing. Returns the order's status with what was learnt.
   */
  async reconcile(order: OrderPayment): Promise<{ found: 'yes' | 'no' | 'unknown'; status: OrderStatus }> {
    if (!PAYABLE.has(order.status)) return { found: 'unknown', status: order.status };
    const lookup = await this.gateway.lookup(keyOf(order.orderId));
    if (lookup.outcome === 'not-found') return { found: 'no', status: order.status };
    if (lookup.outcome === 'unknown') return { found: 'unknown', status: order.status };
    if (lookup.status !== 'succeeded') return { found: 'no', status: order.status };
    this.logger.log(`order ${order.orderId}: the provider has its charge ${lookup.chargeId}; settled from it`);
    return { found: 'yes', status: await this.settle(order, 'paid') };
  }

  /**
   * Charges a payable order once and records the outcome; an order already settled is returned as
   * is. Given as it stands (just placed), the order is not read again.
   */
  async charge(placed: number | OrderPayment, paymentToken: string): Promise<OrderPayment & { result?: ChargeResult }> {
    const order = typeof placed === 'number' ? await this.find(placed) : placed;
    const orderId = order.orderId;
    if (!PAYABLE.has(order.status)) return order;
    const result = await this.gateway.charge({
      orderId,
      amountCents: order.totalCents,
      currency: order.currency,
      token: paymentToken,
      idempotencyKey: keyOf(orderId),
    });
    if (result.outcome === 'retry-later') return { ...order, status: await this.defer(order), result };
    if (result.outcome === 'declined') this.logger.log(`order ${orderId}: payment declined (${result.reason})`);
    return {
      ...order,
      status: await this.settle(order, result.outcome === 'charged' ? 'paid' : 'payment_failed'),
      result,
    };
  }

  /** The order's payment as it stands, from the primary. */
  status(orderId: number): Promise<OrderPayment> {
    return this.find(orderId);
  }

  /** No more attempts: the order fails, its stock goes back, and the customer is told. */
  async giveUp(placed: number | OrderPayment, reason: string): Promise<OrderStatus> {
    const order = typeof placed === 'number' ? await this.find(placed) : placed;
    const orderId = order.orderId;
    this.logger.warn(`order ${orderId}: payment abandoned after the last attempt (${reason})`);
    return this.settle(order, 'payment_failed');
  }

  private async find(orderId: number): Promise<OrderPayment> {
    const order = await this.orders.find(orderId);
    if (!order) throw new Error(`order ${orderId} does not exist`);
    return order;
  }

  /** The provider could not answer: the order waits, and its charge event is due now. */
  private async defer(order: OrderPayment): Promise<OrderStatus> {
    if (await this.orders.defer(order.orderId)) await this.orders.rememberWrite(order.userId);
    return 'payment_pending';
  }

  private async settle(order: OrderPayment, status: 'paid' | 'payment_failed'): Promise<OrderStatus> {
    const restocked = await this.orders.settle(order.orderId, status);
    if (restocked === null) {
      const now = (await this.find(order.orderId)).status;
      // Charged after the customer cancelled (the charge was in flight): the money goes back.
      if (status === 'paid' && now === 'cancelled' && (await this.orders.refundLateCharge(order.orderId))) {
        this.logger.warn(`order ${order.orderId}: charged after it was cancelled; refunding it in full`);
        await this.orders.rememberWrite(order.userId);
      }
      return now;
    }
    // After the commit: a miss right after the invalidation must load the returned stock.
    await this.products.changed(restocked);
    await this.orders.rememberWrite(order.userId);
    return status;
  }
}

/** One provider key per order: every path and every retry is the same charge. */
const keyOf = (orderId: number) => `order-${orderId}`;
