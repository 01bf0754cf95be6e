import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Charge } from '../../dev/fake-payment-gateway.js';
import type { SmtpSink } from '../../dev/smtp-sink.js';
import type { ApiProcess } from './app-process.js';
import { waitFor } from './wait-for.js';

/** One checkout a client wants placed, followed through its retries. */
export interface CheckoutEntry {
  key: string;
  buyer: number;
  body: string;
  /** The first answer's status. */
  first: number | 'network';
  /** The last answer's status (undefined: no answer at all). */
  final?: number;
  orderId?: number;
  retries: number;
}

/** One HTTP answer (or its absence), with when it was sent and how long it took. */
export interface Answer {
  status: number | 'network';
  sentAt: number;
  ms: number;
  contentType: string | null;
  retryAfter: string | null;
  body: { orderId?: number; detail?: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POST /checkout once, as `authorization`, with the entry's key and body. */
export async function sendCheckout(api: ApiProcess, authorization: string, entry: CheckoutEntry): Promise<Answer> {
  const sentAt = performance.now();
  try {
    const response = await fetch(`${api.base}/checkout`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', 'idempotency-key': entry.key },
      body: entry.body,
    });
    const body = (await response.json()) as Answer['body'];
    return {
      status: response.status,
      sentAt,
      ms: performance.now() - sentAt,
      contentType: response.headers.get('content-type'),
      retryAfter: response.headers.get('retry-after'),
      body,
    };
  } catch {
    return { status: 'network', sentAt, ms: performance.now() - sentAt, contentType: null, retryAfter: null, body: {} };
  }
}

/**
 * What a careful client does: send, and while there is no answer, a 409 (still in progress) or a
 * 5xx, wait and send again with the same key, to `pick(attempt)` (up to 40 attempts, 500 ms apart).
 */
export async function checkoutUntilAnswered(
  entry: CheckoutEntry,
  authorization: string,
  pick: (attempt: number) => ApiProcess,
  onAnswer: (answer: Answer) => void = () => undefined,
): Promise<void> {
  let answer = await sendCheckout(pick(0), authorization, entry);
  onAnswer(answer);
  entry.first = answer.status;
  for (
    let attempt = 1;
    (answer.status === 'network' || answer.status === 409 || answer.status >= 500) && attempt < 40;
    attempt++
  ) {
    await sleep(500);
    entry.retries = attempt;
    answer = await sendCheckout(pick(attempt), authorization, entry);
    onAnswer(answer);
  }
  entry.final = answer.status === 'network' ? undefined : answer.status;
  entry.orderId = answer.body.orderId;
}

export interface Ledger {
  orderIds: number[];
  /** Charges at the provider and emails received for these orders (one each). */
  charges: number;
  emails: number;
}

/**
 * Nothing accepted lost or doubled: every entry ended 201/202; one order per key (the one its
 * client was told about), no order of these buyers without a key; every order paid, charged once
 * at the provider and confirmed by one email.
 */
export async function expectEachAcceptedOnce({
  checkouts,
  sql,
  gateway,
  sink,
  buyerEmails,
}: {
  checkouts: CheckoutEntry[];
  sql: pg.Client;
  gateway: FastifyInstance;
  sink: SmtpSink;
  buyerEmails: string[];
}): Promise<Ledger> {
  const accepted = checkouts.filter((entry) => entry.final === 201 || entry.final === 202);
  expect(
    checkouts.filter((entry) => !accepted.includes(entry)).map((entry) => [entry.key, entry.first, entry.final]),
  ).toEqual([]);
  const keys = accepted.map((entry) => entry.key);
  const { rows: stored } = await sql.query<{ key: string; order_id: number }>(
    'SELECT key, order_id FROM idempotency_keys WHERE key = ANY($1)',
    [keys],
  );
  const orderIds = stored.map((row) => row.order_id);
  expect(new Set(orderIds).size).toBe(keys.length);
  for (const entry of accepted) expect(stored.find((row) => row.key === entry.key)?.order_id).toBe(entry.orderId);
  const { rows: created } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders WHERE user_id IN (SELECT id FROM users WHERE email = ANY($1)) AND id >= $2`,
    [buyerEmails, Math.min(...orderIds)],
  );
  expect(created[0].n).toBe(keys.length);

  const unpaid = async () =>
    (
      await sql.query<{ id: number; status: string; relayed: string | null }>(
        `SELECT o.id, o.status, max(e.sent_at)::text AS relayed FROM orders o
         LEFT JOIN outbox_events e ON e.topic = 'charge' AND (e.payload->>'orderId')::int = o.id
         WHERE o.id = ANY($1) AND o.status <> 'paid' GROUP BY o.id`,
        [orderIds],
      )
    ).rows;
  await waitFor(async () => (await unpaid()).length === 0, 60_000, 'every accepted order paid').catch(
    async (error: Error) => {
      // An order whose charge event was relayed but never charged here: another process's outbox
      // relay on the same database (another queue prefix) may have taken the event.
      throw new Error(`${error.message}; unpaid: ${JSON.stringify(await unpaid())}`);
    },
  );
  await waitFor(
    () => orderIds.every((id) => sink.messages.some((message) => message.subject.includes(`#${id} `))),
    30_000,
    'every confirmation email',
  );
  await sleep(1_000); // room for a duplicate to show up
  const charges = (await gateway.inject({ url: '/charges' })).json<Charge[]>();
  const chargesPerOrder = orderIds.map((id) => charges.filter((charge) => charge.orderId === id).length);
  const emailsPerOrder = orderIds.map(
    (id) => sink.messages.filter((message) => message.subject.includes(`#${id} `)).length,
  );
  expect(chargesPerOrder.filter((count) => count !== 1)).toEqual([]);
  expect(emailsPerOrder.filter((count) => count !== 1)).toEqual([]);
  const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
  return { orderIds, charges: sum(chargesPerOrder), emails: sum(emailsPerOrder) };
}
