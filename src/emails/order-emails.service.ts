import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { Db, isConnectionError } from '../database/index.js';
import type { EmailTemplate } from '../queues/queues.constants.js';
import { renderOrderEmail, type OrderEmailData } from './email-templates.js';
import { Mailer } from './mailer.js';

export type DeliveryOutcome = 'sent' | 'already-sent';

/** Another worker holds this email's claim: try again later (it will then be sent, or free). */
export class EmailClaimedElsewhereError extends Error {}

/** A claim outlasts the slowest possible send, so two live workers never send the same email. */
const CLAIM_MS = Mailer.maxSendMs * 2;
/**
 * How long the outcome of a send is written again while the database is away (a primary restart
 * takes seconds): it gives up while the claim still holds, even after the slowest send; past the
 * claim, another attempt would send the email again.
 */
const RECORD_RETRY_MS = (CLAIM_MS - Mailer.maxSendMs) / 2;

/**
 * Order emails, each sent once: a row per (order, template) is claimed before the send and marked
 * sent after it. A duplicate job finds it sent and stops; a worker that died mid-send leaves a
 * claim that lapses, and the retry resends with the same Message-ID, so a receiving server (or
 * mail client) can still fold the two. That crash window (SMTP accepted, mark not yet written) is
 * the one place SMTP allows no better. A database away at that moment (or when a send failed and
 * its claim is freed) is waited for, not met with a resend (or a claim held until it lapses).
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
    // The claim and what the email says, in one statement: no order row is read without a claim.
    const [claimed] = await this.db.primary.$queryRaw<(OrderEmailData & { email: string; messageId: string })[]>`
      WITH claim AS (
        INSERT INTO email_deliveries (order_id, template, message_id, claimed_until, attempts)
        VALUES (${orderId}, ${template}, ${messageId}, now() + make_interval(secs => ${CLAIM_MS / 1000}), 1)
        ON CONFLICT (order_id, template) DO UPDATE
          SET claimed_until = EXCLUDED.claimed_until, attempts = email_deliveries.attempts + 1
          WHERE email_deliveries.sent_at IS NULL
            AND (email_deliveries.claimed_until IS NULL OR email_deliveries.claimed_until < now())
        RETURNING message_id
      )
      SELECT claim.message_id AS "messageId", o.id AS "orderId", u.email, u.name AS "customerName",
        o.total_cents AS "totalCents", o.currency,
        json_agg(json_build_object('name', p.name, 'quantity', oi.quantity, 'unitPriceCents', oi.unit_price_cents)
          ORDER BY oi.id) AS items
      FROM claim
      JOIN orders o ON o.id = ${orderId}
      JOIN users u ON u.id = o.user_id
      JOIN order_items oi ON oi.order_id = o.id
      JOIN products p ON p.id = oi.product_id
      GROUP BY claim.message_id, o.id, u.id`;
    if (!claimed) {
      const [row] = await this.db.primary.$queryRaw<{ sent: boolean }[]>`
        SELECT sent_at IS NOT NULL AS sent FROM email_deliveries WHERE order_id = ${orderId} AND template = ${template}`;
      if (row?.sent) return 'already-sent';
      throw new EmailClaimedElsewhereError(`order ${orderId} ${template}: another worker is sending it`);
    }
    try {
      const { email: to, messageId, ...data } = claimed;
      await this.mailer.send({ to, messageId, ...renderOrderEmail(template, data) });
    } catch (error) {
      // Not sent: free the claim, so that the job's next attempt sends at once (a claim left behind
      // would hold every attempt off until it lapses).
      await this.record(
        `order ${orderId}: ${template} not sent, claim not yet freed`,
        () =>
          this.db.primary.$executeRaw`
          UPDATE email_deliveries SET claimed_until = NULL WHERE order_id = ${orderId} AND template = ${template}`,
      );
      throw error;
    }
    // Sent: record it, or the job's next attempt would send it again.
    await this.record(
      `order ${orderId}: ${template} sent, not yet recorded`,
      () =>
        this.db.primary.$executeRaw`
        UPDATE email_deliveries SET sent_at = now(), claimed_until = NULL
        WHERE order_id = ${orderId} AND template = ${template}`,
    );
    this.logger.log(`order ${orderId}: ${template} sent`);
    return 'sent';
  }

  /** Writes what became of a send, waiting out a database that is away (for RECORD_RETRY_MS at most). */
  private async record(pending: string, write: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        return;
      } catch (error) {
        if (!isConnectionError(error) || performance.now() - started > RECORD_RETRY_MS) throw error;
        if (attempt === 1) this.logger.warn(`${pending} (retrying): ${(error as Error).message.split('\n').at(-1)}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
      }
    }
  }
}
