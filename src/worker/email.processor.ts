import { Injectable } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { OrderEmails } from '../emails/order-emails.service.js';
import type { EmailJobData } from '../queues/queues.constants.js';

/** Order emails; a permanent SMTP refusal (5xx, e.g. an unknown mailbox) is not retried. */
@Injectable()
export class EmailProcessor {
  constructor(private readonly emails: OrderEmails) {}

  async process(job: Job<EmailJobData>): Promise<{ outcome: string }> {
    try {
      return { outcome: await this.emails.deliver(job.data.orderId, job.data.template) };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) throw new UnrecoverableError((error as Error).message);
      throw error;
    }
  }
}
