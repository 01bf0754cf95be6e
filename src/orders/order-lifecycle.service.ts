import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { NotFoundProblem, UnprocessableProblem } from '../common/http/index.js';
import { withoutEmpty } from '../common/http/without-empty.js';
import { ProductsCache } from '../products/products.cache.js';
import { InvalidTransitionProblem, allows, type OrderAction } from './order-lifecycle.js';
import { OrderLifecycleRepository, type OrderStateRow, type TransitionRow } from './order-lifecycle.repository.js';
import type { OrderStateDto } from './order-lifecycle.schemas.js';

/**
 * Customer cancel and admin ship, deliver and refund: each one guarded statement (see
 * `ORDER_TRANSITIONS`), then what caches hold follows (returned stock). The caller's next reads
 * see the change through the request's consistency token and last-write position (`Db.write`).
 */
@Injectable()
export class OrderLifecycle {
  constructor(
    private readonly orders: OrderLifecycleRepository,
    private readonly products: ProductsCache,
  ) {}

  /** The customer's own order (an admin: any order); another's is a 404, like `GET /orders/:id`. */
  async cancel(user: AuthUser, orderId: number): Promise<OrderStateDto> {
    const row = await this.orders.cancel(orderId, user.role === 'admin' ? undefined : user.id);
    const order = this.changed(orderId, 'cancel', row);
    // After the commit: a miss right after the invalidation must load the returned stock.
    await this.products.changed(row.restocked);
    return toState(order, row.refund);
  }

  async ship(orderId: number, trackingReference: string): Promise<OrderStateDto> {
    return toState(this.changed(orderId, 'ship', await this.orders.ship(orderId, trackingReference)));
  }

  async deliver(orderId: number): Promise<OrderStateDto> {
    return toState(this.changed(orderId, 'deliver', await this.orders.deliver(orderId)));
  }

  async refund(orderId: number, amountCents: number | undefined): Promise<OrderStateDto> {
    const row = await this.orders.refund(orderId, amountCents);
    if (!row.changed && row.order && allows('refund', row.order.status)) {
      const left = row.order.totalCents - row.order.refundedCents;
      throw new UnprocessableProblem(`Order ${orderId} has ${left} cents left to refund.`, [
        { field: 'body.amountCents', message: `must be at most ${left} (charged minus already refunded)` },
      ]);
    }
    return toState(this.changed(orderId, 'refund', row), row.refund);
  }

  /** The order after a transition that took place; else the 404 or the 409 naming its status. */
  private changed(orderId: number, action: OrderAction, row: TransitionRow): OrderStateRow {
    if (!row.order) throw new NotFoundProblem(`Order ${orderId} does not exist.`);
    if (!row.changed) throw new InvalidTransitionProblem(orderId, action, row.order.status);
    return row.order;
  }
}

function toState(order: OrderStateRow, refund?: OrderStateDto['refund'] | null): OrderStateDto {
  return withoutEmpty<OrderStateDto>({
    id: order.id,
    userId: order.userId,
    status: order.status as OrderStateDto['status'],
    totalCents: order.totalCents,
    refundedCents: order.refundedCents,
    currency: order.currency,
    trackingReference: order.trackingReference ?? undefined,
    refund: refund ?? undefined,
  });
}
