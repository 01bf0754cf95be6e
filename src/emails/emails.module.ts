import { Module } from '@nestjs/common';
import { Mailer } from './mailer.js';
import { OrderEmailsRepository } from './order-emails.repository.js';
import { OrderEmails } from './order-emails.service.js';

/** Order emails over SMTP, each sent once. */
@Module({ providers: [Mailer, OrderEmailsRepository, OrderEmails], exports: [OrderEmails] })
export class EmailsModule {}
