import { Injectable, Logger } from '@nestjs/common';
import type { OrderStatus } from '../generated/prisma/client.js';
import { ORDER_TRANSITIONS } from '../orders/order-lifecycle.js';
import { ProductsCache } from '../products/products.cache.js';
import { OrderPaymentsRepository, type OrderPayment } from './order-payments.repository.js';
import { PaymentGateway, type ChargeResult } from './payment-gateway.js';

export type { OrderPayment } from './order-payments.repository.js';

/** Statuses that still wait for a charge. */
const PAYABLE: ReadonlySet<string> = new Set(ORDER_TRANSITIONS.pay.from);

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
  ) {}

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
      idempotencyKey: `order-${orderId}`,
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
  async giveUp(orderId: number, reason: string): Promise<OrderStatus> {
    const order = await this.find(orderId);
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
