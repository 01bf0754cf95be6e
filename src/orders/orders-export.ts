import { Readable } from 'node:stream';
import { cpuTask, type CpuPool } from '../cpu-pool/index.js';
import { Prisma } from '../generated/prisma/client.js';
import { isoTimestamp, type Db } from '../database/index.js';
import type { OrderRow } from './order.dto.js';
import { formatOrderLines, type OrderColumns } from './orders-lines.task.js';

const BATCH = 1_000;
const CSV_HEADER = 'id,userId,status,totalCents,currency,createdAt\n';
const formatTask = cpuTask(import.meta.url, './orders-lines.task', 'formatOrderLines', formatOrderLines);

export type ExportFormat = 'ndjson' | 'csv';

/**
 * Orders created in [from, to), oldest first, in keyset batches of 1,000 through the replica
 * router (no transaction held open, so it also works behind PgBouncer). The next batch is read
 * while the caller handles this one, and only once it asks for this one: at most two batches in
 * memory whatever the range. Ending the generator early (return/throw) runs no further query.
 */
export async function* orderBatches(
  db: Db,
  { from, to }: { from: Date; to: Date },
  batchSize = BATCH,
): AsyncGenerator<OrderRow[]> {
  const read = (after?: OrderRow) => db.reader().$queryRaw<OrderRow[]>`
    SELECT id, user_id AS "userId", status::text AS status, total_cents AS "totalCents", currency,
           ${isoTimestamp(Prisma.sql`created_at`)} AS "createdAt"
    FROM orders
    WHERE created_at >= ${from} AND created_at < ${to}
      AND (created_at, id) > (${after ? new Date(after.createdAt) : new Date(0)}, ${after?.id ?? 0})
    ORDER BY created_at, id LIMIT ${batchSize}`;
  let rows = await read();
  while (rows.length) {
    const next = rows.length < batchSize ? undefined : read(rows.at(-1));
    // Awaited (and thrown) below; a caller that stops first must not leave it unhandled.
    next?.catch(() => undefined);
    yield rows;
    rows = next ? await next : [];
  }
}

/**
 * Batches of orders as NDJSON or CSV bytes: each batch formatted and encoded on a pool thread
 * (on the event loop it blocked for ~1 ms per 1,000 rows and made most of the export's garbage).
 * Pulled by the HTTP response: a batch is formatted only when the socket has taken the last one,
 * and a client that goes away destroys the stream, which ends `batches`.
 */
export function exportStream(batches: AsyncIterable<OrderRow[]>, pool: CpuPool, format: ExportFormat): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    if (format === 'csv') yield Buffer.from(CSV_HEADER);
    for await (const rows of batches) {
      const bytes = await pool.run(formatTask, { format, columns: columnsOf(rows) });
      yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 64 * 1024 });
}

function columnsOf(rows: OrderRow[]): OrderColumns {
  return {
    id: rows.map((row) => row.id),
    userId: rows.map((row) => row.userId),
    status: rows.map((row) => row.status),
    totalCents: rows.map((row) => row.totalCents),
    currency: rows.map((row) => row.currency),
    createdAt: rows.map((row) => row.createdAt),
  };
}
