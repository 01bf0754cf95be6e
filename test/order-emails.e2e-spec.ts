import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createSmtpSink } from '../dev/smtp-sink.js';
import { APP_NAME, AppConfig } from '../src/config/index.js';
import { Db } from '../src/database/index.js';
import { Mailer } from '../src/emails/mailer.js';
import { OrderEmailsRepository } from '../src/emails/order-emails.repository.js';
import { OrderEmails } from '../src/emails/order-emails.service.js';
import { connect } from './support/sql.js';
import { tcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { WireCounts } from './support/wire-counts.js';
import { testConfig } from './support/test-app.js';

/**
 * What became of a send is written even if the primary goes away at that moment (a restart): an
 * email the SMTP server accepted is recorded once the primary is back, not sent again; one it
 * refused frees its claim, not holding the next attempt off until the claim lapses. The primary is
 * reached through a proxy this file cuts the moment the message arrives, before the server answers.
 */
describe('order emails while the primary drops away (e2e: real primary behind a proxy, real SMTP)', () => {
  let proxy: TcpProxy;
  let db: Db;
  let mailer: Mailer;
  let emails: OrderEmails;
  let sql: pg.Client;
  let orderId = 0;
  /** What the SMTP server does when the next message arrives: cut the primary, and maybe refuse it. */
  let next: 'cut' | 'cut and refuse' | undefined;
  const sink = createSmtpSink({
    onMessage: () => {
      const now = next;
      next = undefined;
      if (!now) return;
      proxy.cut();
      setTimeout(() => proxy.restore(), 1_500);
      if (now === 'cut and refuse') throw Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 });
    },
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => sink.smtp.listen(0, '127.0.0.1', () => resolve()));
    const base = testConfig();
    proxy = await tcpProxy(Number(new URL(base.DATABASE_URL).port));
    const config = AppConfig.of(
      testConfig({
        DATABASE_URL: proxy.url(base.DATABASE_URL),
        SMTP_URL: `smtp://127.0.0.1:${(sink.smtp.server.address() as AddressInfo).port}`,
      }),
    );
    db = new Db({
      applicationName: APP_NAME,
      primaryUrl: config.DATABASE_URL,
      replicaUrls: [],
      primaryPool: { connectionTimeoutMillis: 500 },
    });
    await db.onModuleInit();
    mailer = new Mailer(config);
    emails = new OrderEmails(new OrderEmailsRepository(db), mailer, config);
    sql = await connect();
    const { rows } = await sql.query<{ id: number }>(
      `SELECT o.id FROM orders o
       WHERE EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)
         AND NOT EXISTS (SELECT 1 FROM email_deliveries d WHERE d.order_id = o.id AND d.template = 'payment-failed')
       ORDER BY o.id LIMIT 1`,
    );
    orderId = rows[0].id;
  });

  beforeEach(async () => {
    sink.messages.length = 0;
    await sql.query(`DELETE FROM email_deliveries WHERE order_id = $1 AND template = 'payment-failed'`, [orderId]);
  });

  const delivery = async () =>
    (
      await sql.query<{ sent: boolean; claimed: boolean; attempts: number }>(
        `SELECT sent_at IS NOT NULL AS sent, claimed_until IS NOT NULL AS claimed, attempts
         FROM email_deliveries WHERE order_id = $1 AND template = 'payment-failed'`,
        [orderId],
      )
    ).rows;

  afterAll(async () => {
    if (orderId)
      await sql?.query(`DELETE FROM email_deliveries WHERE order_id = $1 AND template = 'payment-failed'`, [orderId]);
    await sql?.end();
    mailer?.onApplicationShutdown();
    await db?.onApplicationShutdown();
    await proxy?.close();
    await sink.close();
  });

  it('costs 2 round trips per email: the claim with what the email says, then the mark', async () => {
    const wire = new WireCounts(db);
    try {
      const sent = await wire.measure(() => emails.deliver(orderId, 'payment-failed'));
      expect(sent.result).toBe('sent');
      expect(sent.roundTrips).toEqual({ primary: 2 });
      const again = await wire.measure(() => emails.deliver(orderId, 'payment-failed'));
      expect(again.result).toBe('already-sent');
      expect(again.roundTrips).toEqual({ primary: 2 }); // the refused claim, and the look at why
    } finally {
      wire.close();
    }
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0].text).toContain('payment');
  });

  it('sent as the primary goes away: recorded once it is back, and a second attempt sends nothing', async () => {
    next = 'cut';
    expect(await emails.deliver(orderId, 'payment-failed')).toBe('sent');
    expect(sink.messages).toHaveLength(1);
    expect(await delivery()).toEqual([{ sent: true, claimed: false, attempts: 1 }]);

    expect(await emails.deliver(orderId, 'payment-failed')).toBe('already-sent');
    expect(sink.messages).toHaveLength(1);
  });

  it('refused as the primary goes away: the claim is freed once it is back, so the next attempt sends at once', async () => {
    next = 'cut and refuse';
    await expect(emails.deliver(orderId, 'payment-failed')).rejects.toMatchObject({ responseCode: 451 });
    expect(await delivery()).toEqual([{ sent: false, claimed: false, attempts: 1 }]);

    expect(await emails.deliver(orderId, 'payment-failed')).toBe('sent');
    expect(sink.messages).toHaveLength(1);
    expect(await delivery()).toEqual([{ sent: true, claimed: false, attempts: 2 }]);
  });
});
