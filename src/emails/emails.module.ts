import { Module } from '@nestjs/common';
import { Mailer } from './mailer.js';
import { OrderEmails } from './order-emails.service.js';

/** Order emails over SMTP, each sent once. */
@Module({ providers: [Mailer, OrderEmails], exports: [OrderEmails] })
export class EmailsModule {}
