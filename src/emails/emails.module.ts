import { Module } from '@nestjs/common';
import { AccountEmailsRepository } from './account-emails.repository.js';
import { AccountEmails } from './account-emails.service.js';
import { Mailer } from './mailer.js';
import { OrderEmailsRepository } from './order-emails.repository.js';
import { OrderEmails } from './order-emails.service.js';

/** Order emails over SMTP, each sent once; account emails (verification, reset) with their tokens. */
@Module({
  providers: [Mailer, OrderEmailsRepository, OrderEmails, AccountEmailsRepository, AccountEmails],
  exports: [OrderEmails, AccountEmails],
})
export class EmailsModule {}
