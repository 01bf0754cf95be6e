import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { isConnectionError } from '../database/index.js';
import type { EmailTemplate } from '../queues/queues.constants.js';
import { renderOrderEmail } from './email-templates.js';
import { Mailer } from './mailer.js';
import { OrderEmailsRepository } from './order-emails.repository.js';

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
    private readonly deliveries: OrderEmailsRepository,
    private readonly mailer: Mailer,
    config: AppConfig,
  ) {
    this.domain = /@([^>\s]+)/.exec(config.MAIL_FROM)?.[1] ?? 'store.local';
  }

  async deliver(orderId: number, template: EmailTemplate): Promise<DeliveryOutcome> {
    const messageId = `<order-${orderId}.${template}@${this.domain}>`;
    const claimed = await this.deliveries.claim(orderId, template, messageId, CLAIM_MS);
    if (!claimed) {
      if (await this.deliveries.isSent(orderId, template)) return 'already-sent';
      throw new EmailClaimedElsewhereError(`order ${orderId} ${template}: another worker is sending it`);
    }
    try {
      // The Message-ID of the first claim: a resend after a crash carries the same one.
      const { email: to, messageId: firstMessageId, ...data } = claimed;
      await this.mailer.send({ to, messageId: firstMessageId, ...renderOrderEmail(template, data) });
    } catch (error) {
      // Not sent: free the claim, so that the job's next attempt sends at once (a claim left behind
      // would hold every attempt off until it lapses).
      await this.record(`order ${orderId}: ${template} not sent, claim not yet freed`, () =>
        this.deliveries.release(orderId, template),
      );
      throw error;
    }
    // Sent: record it, or the job's next attempt would send it again.
    await this.record(`order ${orderId}: ${template} sent, not yet recorded`, () =>
      this.deliveries.markSent(orderId, template),
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
