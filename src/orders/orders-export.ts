import { Readable } from 'node:stream';
import { Prisma } from '../generated/prisma/client.js';
import { isoTimestamp, type Db } from '../database/index.js';
import type { OrderRow } from './order.dto.js';

const BATCH = 1_000;
const CSV_HEADER = 'id,userId,status,totalCents,currency,createdAt\n';

/**
 * Orders created in [from, to), oldest first, as a stream: keyset batches of 1,000 through the
 * replica router (no transaction held open, so it also works behind PgBouncer). The stream pulls
 * the next batch only when the client has taken the last one (backpressure), and a client that
 * goes away destroys the stream, which ends the generator: no further query runs.
 */
export function exportOrders(
  db: Db,
  { from, to, format }: { from: Date; to: Date; format: 'ndjson' | 'csv' },
  batchSize = BATCH,
): Readable {
  async function* lines(): AsyncGenerator<string> {
    if (format === 'csv') yield CSV_HEADER;
    let after: { createdAt: string; id: number } | undefined;
    for (;;) {
      const rows = await db.reader().$queryRaw<OrderRow[]>`
        SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents", currency,
               ${isoTimestamp(Prisma.sql`created_at`)} AS "createdAt"
        FROM orders
        WHERE created_at >= ${from} AND created_at < ${to}
          AND (created_at, id) > (${after ? new Date(after.createdAt) : new Date(0)}, ${after?.id ?? 0})
        ORDER BY created_at, id LIMIT ${batchSize}`;
      if (!rows.length) return;
      yield rows.map(format === 'csv' ? csvLine : ndjsonLine).join('');
      const last = rows.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
      if (rows.length < batchSize) return;
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
}

function ndjsonLine(row: OrderRow): string {
  return `${JSON.stringify(row)}\n`;
}

function csvLine(row: OrderRow): string {
  // Every column is a number, an enum, a currency code or a timestamp: nothing to quote.
  return `${row.id},${row.userId},${row.status},${row.totalCents},${row.currency},${row.createdAt}\n`;
}
