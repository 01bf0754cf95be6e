import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../config/index.js';
import type { AccountEmailJobData } from '../queues/queues.constants.js';
import { renderAccountEmail } from './account-email-templates.js';
import { AccountEmailsRepository, type AccountRecipient } from './account-emails.repository.js';
import { Mailer } from './mailer.js';

export type AccountEmailOutcome = 'sent' | 'not-needed';

/**
 * Account emails: the worker makes the single-use token (32 random bytes), stores only its
 * SHA-256 with its expiry, and mails the token — so it exists in no row, job or log, only in the
 * message. A retry after a failed send makes a new token in place of the unused one; the
 * Message-ID is the outbox event's, so a resend after a crash can be folded by the receiver.
 */
@Injectable()
export class AccountEmails {
  private readonly logger = new Logger('AccountEmails');
  private readonly domain: string;

  constructor(
    private readonly repository: AccountEmailsRepository,
    private readonly mailer: Mailer,
    private readonly config: AppConfig,
  ) {
    this.domain = /@([^>\s]+)/.exec(config.MAIL_FROM)?.[1] ?? 'store.local';
  }

  async deliver({ userId, kind, outboxId }: AccountEmailJobData): Promise<AccountEmailOutcome> {
    let recipient: AccountRecipient | undefined;
    let token: { value: string; ttlS: number } | undefined;
    if (kind === 'signup-attempt') recipient = await this.repository.recipient(userId);
    else {
      const value = randomBytes(32).toString('base64url');
      const ttlS = kind === 'verify' ? this.config.ACCOUNT_VERIFY_TOKEN_TTL_S : this.config.ACCOUNT_RESET_TOKEN_TTL_S;
      const tokenHash = createHash('sha256').update(value).digest('hex');
      recipient = await this.repository.issueToken({ outboxId, userId, purpose: kind, tokenHash, ttlS });
      token = { value, ttlS };
    }
    if (!recipient) return 'not-needed';
    await this.mailer.send({
      to: recipient.email,
      messageId: `<account-${outboxId}.${kind}@${this.domain}>`,
      ...renderAccountEmail(kind, recipient.name, token),
    });
    this.logger.log(`user ${userId}: ${kind} email sent`);
    return 'sent';
  }
}
