import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { idParam } from '../common/http/query-params.js';
import { ApiJson, ApiProblem, ApiRoute } from '../common/openapi/zod-openapi.js';
import {
  orderStateSchema,
  refundOrderBody,
  shipOrderBody,
  type OrderStateDto,
  type RefundOrderBody,
  type ShipOrderBody,
} from './order-lifecycle.schemas.js';
import { OrderLifecycle } from './order-lifecycle.service.js';

const INVALID_TRANSITION = "The order's status does not allow this (the problem names it)";

/**
 * The order lifecycle's routes (transitions in `ORDER_TRANSITIONS`). Under the `default` rate
 * limit like every write but login: each is one short statement, and cancel is the customer's own.
 */
@ApiTags('orders')
@Controller('orders/:id')
export class OrderLifecycleController {
  constructor(private readonly lifecycle: OrderLifecycle) {}

  @Post('cancel')
  @HttpCode(200)
  @ApiRoute({
    id: 'orders.cancel',
    summary: 'Cancel your order before it ships: stock back, a refund of what was charged, an email',
    description:
      'Allowed while the order is pending, payment_pending or paid. A paid order gets a refund of what was ' +
      'charged and not yet refunded (made by the worker at the provider, once); a charge still in flight ' +
      'when the order is cancelled is refunded when it completes.',
    writes: true,
  })
  @ApiJson(200, 'The cancelled order (with the refund started, if it was paid)', orderStateSchema)
  @ApiProblem(404, 'No such order of yours')
  @ApiProblem(409, INVALID_TRANSITION)
  @Authenticated()
  cancel(@CurrentUser() user: AuthUser, @Param({ schema: idParam }) { id }: { id: number }): Promise<OrderStateDto> {
    return this.lifecycle.cancel(user, id);
  }

  @Post('ship')
  @HttpCode(200)
  @ApiRoute({
    id: 'orders.ship',
    summary: 'Mark a paid order shipped, with its tracking reference (admin)',
    writes: true,
  })
  @ApiJson(200, 'The shipped order', orderStateSchema)
  @ApiProblem(404, 'No such order')
  @ApiProblem(409, INVALID_TRANSITION)
  @Authenticated({ admin: true })
  ship(
    @Param({ schema: idParam }) { id }: { id: number },
    @Body({ schema: shipOrderBody }) body: ShipOrderBody,
  ): Promise<OrderStateDto> {
    return this.lifecycle.ship(id, body.trackingReference);
  }

  @Post('deliver')
  @HttpCode(200)
  @ApiRoute({ id: 'orders.deliver', summary: 'Mark a shipped order delivered (admin)', writes: true })
  @ApiJson(200, 'The delivered order', orderStateSchema)
  @ApiProblem(404, 'No such order')
  @ApiProblem(409, INVALID_TRANSITION)
  @Authenticated({ admin: true })
  deliver(@Param({ schema: idParam }) { id }: { id: number }): Promise<OrderStateDto> {
    return this.lifecycle.deliver(id);
  }

  @Post('refund')
  @HttpCode(202)
  @ApiRoute({
    id: 'orders.refund',
    summary: 'Refund a paid, shipped or delivered order, in full or in part (admin)',
    description:
      'Never more than charged minus already refunded. Refunding what is left makes the order `refunded`. ' +
      'The worker makes the refund at the provider (key `refund-<orderId>-<n>`, once) and emails the customer.',
    writes: true,
  })
  @ApiJson(202, 'Accepted: the refund is recorded and made at the provider in the background', orderStateSchema)
  @ApiProblem(404, 'No such order')
  @ApiProblem(409, INVALID_TRANSITION)
  @ApiProblem(422, 'More than is left to refund (the problem names the limit)')
  @Authenticated({ admin: true })
  refund(
    @Param({ schema: idParam }) { id }: { id: number },
    @Body({ schema: refundOrderBody }) body: RefundOrderBody,
  ): Promise<OrderStateDto> {
    return this.lifecycle.refund(id, body.amountCents);
  }
}
