/**
 * A real SMTP server that keeps what it receives, for development and tests, with an HTTP API to
 * read the messages back (what a test asserts: one confirmation per order, never two).
 *
 *   SMTP on SMTP_SINK_PORT (2525), no auth, no TLS: only for 127.0.0.1.
 *   GET    /messages   [{ id, from, to, subject, text, html, headers, receivedAt }]
 *   DELETE /messages   forget them all
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface SmtpSink {
  smtp: SMTPServer;
  http: FastifyInstance;
  messages: ReceivedMessage[];
  close(): Promise<void>;
}

/**
 * @param rejectRecipients recipients refused with 550 (a mailbox that does not exist), to test permanent failures.
 * @param onMessage runs when a message has arrived, before the server accepts it (tests act at that
 *   moment); if it throws, the message is refused with that error (give it a `responseCode`).
 */
export function createSmtpSink({
  rejectRecipients,
  onMessage,
}: { rejectRecipients?: RegExp; onMessage?: (message: ReceivedMessage) => void } = {}): SmtpSink {
  const messages: ReceivedMessage[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, session, callback) {
      if (rejectRecipients?.test(address.address)) {
        return callback(Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const message: ReceivedMessage = {
            id: mail.messageId ?? String(messages.length + 1),
            from: mail.from?.text ?? '',
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            headers: Object.fromEntries(
              [...mail.headers].map(([name, value]) => [
                name,
                String(typeof value === 'object' ? JSON.stringify(value) : value),
              ]),
            ),
            receivedAt: new Date().toISOString(),
          };
          try {
            onMessage?.(message);
          } catch (refusal) {
            return callback(refusal as Error);
          }
          messages.push(message);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  // A client dropping its connection mid-session (a worker killed) is routine for a server; an
  // 'error' event nobody listens to would crash the process hosting the sink.
  smtp.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ECONNRESET') console.error(`smtp sink: ${error.message}`);
  });
  const http = Fastify();
  http.get('/messages', async () => messages);
  http.delete('/messages', async () => {
    messages.length = 0;
    return { deleted: true };
  });
  return {
    smtp,
    http,
    messages,
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await http.close();
    },
  };
}

// Run as a process: `tsx dev/smtp-sink.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const sink = createSmtpSink();
  const smtpPort = Number(process.env.SMTP_SINK_PORT ?? 2525);
  const httpPort = Number(process.env.SMTP_SINK_HTTP_PORT ?? 2580);
  sink.smtp.listen(smtpPort, '127.0.0.1');
  await sink.http.listen({ port: httpPort, host: '127.0.0.1' });
  console.log(`SMTP sink on smtp://127.0.0.1:${smtpPort}, messages at http://127.0.0.1:${httpPort}/messages`);
}
