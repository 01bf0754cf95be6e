import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { Db } from '../database/index.js';
import type { EmailTemplate } from '../queues/queues.constants.js';
import { renderOrderEmail, type OrderEmailData } from './email-templates.js';
import { Mailer } from './mailer.js';

export type DeliveryOutcome = 'sent' | 'already-sent';

/** Another worker holds this email's claim: try again later (it will then be sent, or free). */
export class EmailClaimedElsewhereError extends Error {}

/** A claim outlasts the slowest possible send, so two live workers never send the same email. */
const CLAIM_MS = Mailer.maxSendMs * 2;

/**
 * Order emails, each sent once: a row per (order, template) is claimed before the send and marked
 * sent after it. A duplicate job finds it sent and stops; a worker that died mid-send leaves a
 * claim that lapses, and the retry resends with the same Message-ID, so a receiving server (or
 * mail client) can still fold the two. That crash window (SMTP accepted, mark not yet written) is
 * the one place SMTP allows no better.
 */
@Injectable()
export class OrderEmails {
  private readonly logger = new Logger('OrderEmails');
  private readonly domain: string;

  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
    config: AppConfig,
  ) {
    this.domain = /@([^>\s]+)/.exec(config.MAIL_FROM)?.[1] ?? 'store.local';
  }

  async deliver(orderId: number, template: EmailTemplate): Promise<DeliveryOutcome> {
    const messageId = `<order-${orderId}.${template}@${this.domain}>`;
    const claimed = await this.db.primary.$queryRaw<{ messageId: string }[]>`
      INSERT INTO email_deliveries (order_id, template, message_id, claimed_until, attempts)
      VALUES (${orderId}, ${template}, ${messageId}, now() + make_interval(secs => ${CLAIM_MS / 1000}), 1)
      ON CONFLICT (order_id, template) DO UPDATE
        SET claimed_until = EXCLUDED.claimed_until, attempts = email_deliveries.attempts + 1
        WHERE email_deliveries.sent_at IS NULL
          AND (email_deliveries.claimed_until IS NULL OR email_deliveries.claimed_until < now())
      RETURNING message_id AS "messageId"`;
    if (!claimed.length) {
      const [row] = await this.db.primary.$queryRaw<{ sent: boolean }[]>`
        SELECT sent_at IS NOT NULL AS sent FROM email_deliveries WHERE order_id = ${orderId} AND template = ${template}`;
      if (row?.sent) return 'already-sent';
      throw new EmailClaimedElsewhereError(`order ${orderId} ${template}: another worker is sending it`);
    }
    try {
      const { to, data } = await this.load(orderId);
      await this.mailer.send({ to, messageId: claimed[0].messageId, ...renderOrderEmail(template, data) });
    } catch (error) {
      await this.db.primary.$executeRaw`
        UPDATE email_deliveries SET claimed_until = NULL WHERE order_id = ${orderId} AND template = ${template}`;
      throw error;
    }
    await this.db.primary.$executeRaw`
      UPDATE email_deliveries SET sent_at = now(), claimed_until = NULL
      WHERE order_id = ${orderId} AND template = ${template}`;
    this.logger.log(`order ${orderId}: ${template} sent`);
    return 'sent';
  }

  private async load(orderId: number): Promise<{ to: string; data: OrderEmailData }> {
    const [row] = await this.db.primary.$queryRaw<(OrderEmailData & { email: string })[]>`
      SELECT o.id AS "orderId", u.email, u.name AS "customerName", o.total_cents AS "totalCents", o.currency,
        json_agg(json_build_object('name', p.name, 'quantity', oi.quantity, 'unitPriceCents', oi.unit_price_cents)
          ORDER BY oi.id) AS items
      FROM orders o
      JOIN users u ON u.id = o.user_id
      JOIN order_items oi ON oi.order_id = o.id
      JOIN products p ON p.id = oi.product_id
      WHERE o.id = ${orderId}
      GROUP BY o.id, u.id`;
    if (!row) throw new Error(`order ${orderId} does not exist`);
    const { email, ...data } = row;
    return { to: email, data };
  }
}
