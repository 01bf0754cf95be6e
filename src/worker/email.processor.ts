import { Injectable } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { AccountEmails } from '../emails/account-emails.service.js';
import { OrderEmails } from '../emails/order-emails.service.js';
import { JOB_NAMES, type AccountEmailJobData, type EmailJobData } from '../queues/queues.constants.js';

/** Order and account emails; a permanent SMTP refusal (5xx, e.g. an unknown mailbox) is not retried. */
@Injectable()
export class EmailProcessor {
  constructor(
    private readonly emails: OrderEmails,
    private readonly accountEmails: AccountEmails,
  ) {}

  async process(job: Job<EmailJobData | AccountEmailJobData>): Promise<{ outcome: string }> {
    try {
      if (job.name === JOB_NAMES['account-email'])
        return { outcome: await this.accountEmails.deliver(job.data as AccountEmailJobData) };
      const { orderId, template } = job.data as EmailJobData;
      return { outcome: await this.emails.deliver(orderId, template) };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) throw new UnrecoverableError((error as Error).message);
      throw error;
    }
  }
}
