import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { AppConfig } from '../config/index.js';
import { inSpan, SpanKind } from '../tracing/trace-context.js';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/** SMTP (`SMTP_URL`) through a pooled nodemailer transport with bounded waits. */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;

  constructor(private readonly config: AppConfig) {
    this.transport = createTransport({
      url: config.SMTP_URL,
      pool: true,
      maxConnections: 4,
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 15_000,
    });
  }

  /** The longest a send can take before it fails (the email claim must outlast it). */
  static readonly maxSendMs = 25_000;

  send(email: OutgoingEmail): Promise<void> {
    const attributes = { 'smtp.message_id': email.messageId };
    return inSpan('smtp send', { kind: SpanKind.CLIENT, attributes }, async () => {
      await this.transport.sendMail({ from: this.config.MAIL_FROM, ...email });
    });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
