import { Injectable } from '@nestjs/common';
import { Db } from '../database/index.js';
import type { EmailTemplate } from '../queues/queues.constants.js';
import type { OrderEmailData } from './email-templates.js';

/** A claimed email: its Message-ID, where it goes, and what it says. */
export type ClaimedEmail = OrderEmailData & { email: string; messageId: string };

/** The SQL of order emails: one `email_deliveries` row per (order, template), claimed, then marked. */
@Injectable()
export class OrderEmailsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Claims the email for `claimMs` unless it was sent or another claim still holds, and reads what
   * it says in the same statement (no order is read without a claim); `undefined`: not claimed.
   */
  async claim(
    orderId: number,
    template: EmailTemplate,
    messageId: string,
    claimMs: number,
  ): Promise<ClaimedEmail | undefined> {
    const [claimed] = await this.db.primary.$queryRaw<ClaimedEmail[]>`
      WITH claim AS (
        INSERT INTO email_deliveries (order_id, template, message_id, claimed_until, attempts)
        VALUES (${orderId}, ${template}, ${messageId}, now() + make_interval(secs => ${claimMs / 1000}), 1)
        ON CONFLICT (order_id, template) DO UPDATE
          SET claimed_until = EXCLUDED.claimed_until, attempts = email_deliveries.attempts + 1
          WHERE email_deliveries.sent_at IS NULL
            AND (email_deliveries.claimed_until IS NULL OR email_deliveries.claimed_until < now())
        RETURNING message_id
      )
      SELECT claim.message_id AS "messageId", o.id AS "orderId", u.email, u.name AS "customerName",
        o.total_cents AS "totalCents", o.currency, o.refunded_cents AS "refundedCents",
        o.tracking_reference AS "trackingReference",
        json_agg(json_build_object('name', p.name, 'quantity', oi.quantity, 'unitPriceCents', oi.unit_price_cents)
          ORDER BY oi.id) AS items
      FROM claim
      JOIN orders o ON o.id = ${orderId}
      JOIN users u ON u.id = o.user_id
      JOIN order_items oi ON oi.order_id = o.id
      JOIN products p ON p.id = oi.product_id
      GROUP BY claim.message_id, o.id, u.id`;
    return claimed;
  }

  async isSent(orderId: number, template: EmailTemplate): Promise<boolean> {
    const [row] = await this.db.primary.$queryRaw<{ sent: boolean }[]>`
      SELECT sent_at IS NOT NULL AS sent FROM email_deliveries WHERE order_id = ${orderId} AND template = ${template}`;
    return row?.sent ?? false;
  }

  /** Frees the claim of an email that was not sent, so the next attempt need not wait for it to lapse. */
  async release(orderId: number, template: EmailTemplate): Promise<void> {
    await this.db.primary.$executeRaw`
      UPDATE email_deliveries SET claimed_until = NULL WHERE order_id = ${orderId} AND template = ${template}`;
  }

  async markSent(orderId: number, template: EmailTemplate): Promise<void> {
    await this.db.primary.$executeRaw`
      UPDATE email_deliveries SET sent_at = now(), claimed_until = NULL
      WHERE order_id = ${orderId} AND template = ${template}`;
  }
}
