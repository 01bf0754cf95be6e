import type pg from 'pg';

/**
 * Rows of the pruned tables, written with the timestamps a test needs (SQL intervals such as
 * `'25 hours'`), each marked with `run` so `deleteAll` takes back exactly what a run wrote.
 */
export async function retentionRows(sql: pg.Client, run: string) {
  // Seeded orders with no email yet: each delivery row takes one.
  const orders = (
    await sql.query<{ id: number }>(
      `SELECT id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM email_deliveries d WHERE d.order_id = o.id)
       ORDER BY id DESC LIMIT 20`,
    )
  ).rows.map((row) => row.id);
  /** Which of `values` are still in `table.column` (a set: order does not matter). */
  const left = async <T>(table: string, column: string, values: T[]) =>
    new Set(
      (
        await sql.query<{ value: T }>(`SELECT ${column} AS value FROM ${table} WHERE ${column} = ANY($1)`, [values])
      ).rows.map((row) => row.value),
    );

  return {
    /** An idempotency key of user 2, first used `age` ago, its lock until `lockedUntil` (SQL). */
    async insertKey(age: string, status: 'completed' | 'in_progress', lockedUntil = 'now()'): Promise<string> {
      const key = `ret-${run}-${Math.random().toString(36).slice(2)}`;
      await sql.query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, status, locked_until, created_at)
         VALUES (2, $1, 'hash', $2, ${lockedUntil}, now() - $3::interval)`,
        [key, status, age],
      );
      return key;
    },
    keysLeft: (keys: string[]) => left('idempotency_keys', 'key', keys),

    /** An outbox event sent `sentAgo` ago (null: unsent), written long before. */
    async insertEvent(sentAgo: string | null): Promise<string> {
      const {
        rows: [{ id }],
      } = await sql.query<{ id: string }>(
        `INSERT INTO outbox_events (topic, payload, created_at, available_at, sent_at)
         VALUES ('email', jsonb_build_object('run', $1::text), now() - interval '30 days', now() + interval '1 day',
                 now() - $2::interval) RETURNING id`,
        [run, sentAgo],
      );
      return id;
    },
    eventsLeft: (ids: string[]) => left('outbox_events', 'id', ids),

    /** A delivery record of the next free seeded order, sent `sentAgo` ago (null: never sent). */
    async insertDelivery(sentAgo: string | null): Promise<number> {
      const orderId = orders.pop()!;
      await sql.query(
        `INSERT INTO email_deliveries (order_id, template, message_id, sent_at, created_at)
         VALUES ($1, 'order-confirmation', $2, now() - $3::interval, now() - interval '400 days')`,
        [orderId, `<ret-${run}-${orderId}>`, sentAgo],
      );
      return orderId;
    },
    deliveriesLeft: (orderIds: number[]) => left('email_deliveries', 'order_id', orderIds),

    async deleteAll(): Promise<void> {
      await sql.query(`DELETE FROM idempotency_keys WHERE key LIKE $1`, [`ret-${run}-%`]);
      await sql.query(`DELETE FROM outbox_events WHERE payload->>'run' = $1`, [run]);
      await sql.query(`DELETE FROM email_deliveries WHERE message_id LIKE $1`, [`<ret-${run}-%`]);
    },
  };
}

export type RetentionRows = Awaited<ReturnType<typeof retentionRows>>;
