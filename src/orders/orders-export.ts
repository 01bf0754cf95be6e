import { Readable } from 'node:stream';
import { cpuTask, type CpuPool } from '../cpu-pool/index.js';
import { Prisma } from '../generated/prisma/client.js';
import { isoTimestamp, type Db } from '../database/index.js';
import { FIELD_SEPARATOR, formatOrderLines } from './orders-lines.task.js';

const BATCH = 1_000;
const CSV_HEADER = 'id,userId,status,totalCents,currency,createdAt\n';
const formatTask = cpuTask(import.meta.url, './orders-lines.task', 'formatOrderLines', formatOrderLines);

export type ExportFormat = 'ndjson' | 'csv';

/**
 * Orders created in [from, to), oldest first, in keyset batches of 1,000 through the replica
 * router (no transaction held open, so it also works behind PgBouncer). Each batch is one text
 * value (see `OrderBatchText`): 1,000 row objects per batch were most of the event loop's work
 * and garbage during an export. The next batch is read while the caller handles this one, and
 * only once it asks for this one: at most two batches in memory whatever the range. Ending the
 * generator early (return/throw) runs no further query.
 */
export async function* orderBatches(
  db: Db,
  { from, to }: { from: Date; to: Date },
  batchSize = BATCH,
): AsyncGenerator<string> {
  const read = async (after?: { createdAt: string; id: number }) => {
    const [batch] = await db.reader().$queryRaw<{ count: number; text: string | null }[]>`
      SELECT count(*)::int AS count,
             string_agg(concat_ws(${FIELD_SEPARATOR}, id, user_id, status, total_cents, currency,
                                  ${isoTimestamp(Prisma.sql`created_at`)}), E'\n' ORDER BY created_at, id) AS text
      FROM (
        SELECT id, user_id, status, total_cents, currency, created_at
        FROM orders
        WHERE created_at >= ${from} AND created_at < ${to}
          AND (created_at, id) > (${after ? new Date(after.createdAt) : new Date(0)}, ${after?.id ?? 0})
        ORDER BY created_at, id LIMIT ${batchSize}
      ) AS batch`;
    return batch;
  };
  let batch = await read();
  while (batch.text) {
    const next = batch.count < batchSize ? undefined : read(lastKeyOf(batch.text));
    // Awaited (and thrown) below; a caller that stops first must not leave it unhandled.
    next?.catch(() => undefined);
    yield batch.text;
    batch = next ? await next : { count: 0, text: null };
  }
}

/** The keyset position after a batch: its last row's id and createdAt. */
function lastKeyOf(text: string): { createdAt: string; id: number } {
  const fields = text.slice(text.lastIndexOf('\n') + 1).split(FIELD_SEPARATOR);
  return { id: Number(fields[0]), createdAt: fields[5] };
}

/**
 * Batches of orders as NDJSON or CSV bytes, each formatted and encoded on a pool thread. Pulled
 * by the HTTP response: a batch is formatted only when the socket has taken the last one, and a
 * client that goes away destroys the stream, which ends `batches`.
 */
export function exportStream(batches: AsyncIterable<string>, pool: CpuPool, format: ExportFormat): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    if (format === 'csv') yield Buffer.from(CSV_HEADER);
    for await (const text of batches) {
      const bytes = await pool.run(formatTask, { format, text });
      yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 64 * 1024 });
}
