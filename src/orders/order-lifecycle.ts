import { Prisma } from '../generated/prisma/client.js';
import { ProblemException } from '../common/http/index.js';
import type { OrderStatusName } from './order.dto.js';

/**
 * The order lifecycle, in one place: each action and the statuses it may start from. Every
 * statement that changes a status guards on this table (`UPDATE orders … WHERE status = ANY(from)`,
 * see `fromStatusesSql`), so two racing actions cannot both win: the second finds the status
 * changed and changes nothing.
 *
 *   pending ─defer→ payment_pending ─pay→ paid ─ship→ shipped ─deliver→ delivered
 *   pending | payment_pending ─fail→ payment_failed
 *   pending | payment_pending | paid ─cancel→ cancelled        (customer, before shipment)
 *   paid | shipped | delivered ─refund→ refunded               (admin; a partial refund keeps the status)
 */
export const ORDER_TRANSITIONS = {
  defer: { from: ['pending'], to: 'payment_pending' },
  pay: { from: ['pending', 'payment_pending'], to: 'paid' },
  fail: { from: ['pending', 'payment_pending'], to: 'payment_failed' },
  cancel: { from: ['pending', 'payment_pending', 'paid'], to: 'cancelled' },
  ship: { from: ['paid'], to: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered' },
  refund: { from: ['paid', 'shipped', 'delivered'], to: 'refunded' },
} as const satisfies Record<string, { from: readonly OrderStatusName[]; to: OrderStatusName }>;

export type OrderAction = keyof typeof ORDER_TRANSITIONS;

/** Whether `action` may start from `status`. */
export function allows(action: OrderAction, status: string): boolean {
  return (ORDER_TRANSITIONS[action].from as readonly string[]).includes(status);
}

/** `status = ANY('{…}')` for the action's from-statuses: the SQL guard of a transition. */
export function fromStatusesSql(action: OrderAction, column: Prisma.Sql = Prisma.sql`status`): Prisma.Sql {
  return Prisma.sql`${column} = ANY(${[...ORDER_TRANSITIONS[action].from]}::text[]::"OrderStatus"[])`;
}

/** The status the action leads to, as SQL (`SET status = …`). */
export function toStatusSql(action: OrderAction): Prisma.Sql {
  return Prisma.sql`${ORDER_TRANSITIONS[action].to}::"OrderStatus"`;
}

/** 409: the action does not apply to the order's current status (both named, and what it needs). */
export class InvalidTransitionProblem extends ProblemException {
  constructor(orderId: number, action: OrderAction, current: string) {
    super(
      409,
      'invalid-transition',
      `Order ${orderId} is ${current}: ${action} applies only to an order that is ` +
        `${ORDER_TRANSITIONS[action].from.join(' or ')}.`,
    );
  }
}
