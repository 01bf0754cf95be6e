// Runs on a pool thread (see src/cpu-pool/cpu-task.ts): a whole export, its reads included.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessagePort } from 'node:worker_threads';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { isoTimestamp } from '../database/sql-fragments.js';
import { GzipParts } from '../common/gzip-parts.js';
import type { PoolSession } from '../database/pools/database-pool.js';
import { FIELD_SEPARATOR, formatOrderText, type ExportFormat } from './orders-lines.task.js';

export type { ExportFormat };

const BATCH = 1_000;
const CSV_HEADER = 'id,userId,status,totalCents,currency,createdAt\n';

/** Where the export reads: the session of the pool the replica router chose. */
export type ExportConnection = PoolSession;

export type ExportEncoding = 'identity' | 'gzip';

/**
 * What the pool thread sends back over the job's port: the body, as text while it is not encoded.
 * Text arrives in the receiving thread's heap, which frees it at its next young-generation
 * collection, and the socket writes it from memory freed as each write ends; bytes arrive as
 * array buffers, which the event loop's thread frees only when a full collection runs (it ran one
 * per ~64 MB forwarded, at up to 29 ms each: a 120 MB export grew RSS by 73 MB).
 */
export type ExportMessage =
  string | Uint8Array | { statement: { durationMs: number; failed: boolean } } | { end: true } | { error: string };

/** What the caller sends: one more chunk wanted, or no more (the client went away). */
export const MORE = 'more';
export const CANCEL = 'cancel';

export interface OrderExportJob {
  connection: ExportConnection;
  range: { from: Date; to: Date };
  format: ExportFormat;
  encoding: ExportEncoding;
  /** At most this many rows a second. @default 0 (unpaced) */
  rowsPerSecond?: number;
  batchSize?: number;
  port: MessagePort;
}

/** One Prisma client per server for this thread's exports (one or two connections each). */
const clients = new Map<string, PrismaClient>();

function clientFor(connection: ExportConnection): PrismaClient {
  const key = JSON.stringify(connection);
  let client = clients.get(key);
  if (!client) {
    const adapter = new PrismaPg({
      ...connection,
      max: 2,
      idleTimeoutMillis: 10_000,
      // Idle connections keep no one waiting at shutdown (inline, `CPU_POOL_THREADS=0`, they are
      // on the event loop's thread).
      allowExitOnIdle: true,
    });
    client = new PrismaClient({ adapter, errorFormat: 'minimal' });
    clients.set(key, client);
  }
  return client;
}

/**
 * Orders created in [from, to), oldest first, in keyset batches through one client (no transaction
 * held open, so it also works behind PgBouncer). Each batch is one text value: 1,000 row objects
 * per batch were most of the work and garbage of an export. The next batch is read while the caller
 * handles this one, and only once it asks for this one: at most two batches in memory whatever the
 * range. With `rowsPerSecond`, a batch starts no sooner than its share of a second after the last
 * (the export is background work: unpaced, it kept both cores busy and doubled the p99 of the
 * requests beside it). Ending the generator early (return/throw) runs no further query.
 */
export async function* orderBatches(
  client: PrismaClient,
  { from, to }: { from: Date; to: Date },
  { batchSize = BATCH, rowsPerSecond = 0 }: { batchSize?: number; rowsPerSecond?: number } = {},
  onStatement: (event: { durationMs: number; failed: boolean }) => void = () => undefined,
): AsyncGenerator<string> {
  const read = async (after?: { createdAt: string; id: number }) => {
    const started = performance.now();
    try {
      const [batch] = await client.$queryRaw<{ count: number; text: string | null }[]>`
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
      onStatement({ durationMs: performance.now() - started, failed: false });
      return batch;
    } catch (error) {
      onStatement({ durationMs: performance.now() - started, failed: true });
      throw error;
    }
  };
  const interval = rowsPerSecond > 0 ? (batchSize * 1_000) / rowsPerSecond : 0;
  let started = performance.now();
  let batch = await read();
  while (batch.text) {
    const wait = started + interval - performance.now();
    if (wait > 0) await sleep(wait);
    started = performance.now();
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

async function* formatted(batches: AsyncIterable<string>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_HEADER;
  for await (const text of batches) yield formatOrderText({ format, text });
}

/** The body: the lines as text, or as gzip parts (see GzipParts). */
async function* encoded(lines: AsyncIterable<string>, encoding: ExportEncoding): AsyncGenerator<string | Uint8Array> {
  if (encoding === 'identity') return yield* lines;
  const gzip = new GzipParts();
  for await (const text of lines) yield gzip.part(text);
  yield gzip.end();
}

/**
 * The export job, run on a pool thread: reads the batches, formats and encodes them there, and
 * sends the body's bytes over `port` as the caller asks for them (one chunk per MORE; the next is
 * prepared meanwhile). So the event loop that serves requests only forwards finished bytes; an
 * export's garbage, its collections and their pauses stay in this thread's small heap. Ends with
 * `{ end }` or `{ error }`; a CANCEL (or the port closing) stops it before the next query.
 */
export async function streamOrderExport({
  connection,
  range,
  format,
  encoding,
  rowsPerSecond,
  batchSize,
  port,
}: OrderExportJob): Promise<void> {
  let credit = 0;
  let cancelled = false;
  const signal = new EventTarget();
  port.on('message', (message: string) => {
    if (message === CANCEL) cancelled = true;
    else credit++;
    signal.dispatchEvent(new Event('change'));
  });
  port.on('close', () => {
    cancelled = true;
    signal.dispatchEvent(new Event('change'));
  });
  const send = (message: ExportMessage) => (cancelled ? undefined : port.postMessage(message));
  try {
    const pace = { batchSize, rowsPerSecond };
    const batches = orderBatches(clientFor(connection), range, pace, (statement) => send({ statement }));
    for await (const chunk of encoded(formatted(batches, format), encoding)) {
      while (credit === 0 && !cancelled) await once(signal, 'change');
      if (cancelled) break;
      credit--;
      if (typeof chunk === 'string') port.postMessage(chunk);
      else {
        // A copy of its own to transfer: zlib's and Buffer's results may share an allocation.
        const bytes = new Uint8Array(chunk);
        port.postMessage(bytes, [bytes.buffer]);
      }
    }
    send({ end: true });
  } catch (error) {
    // Prisma's message opens with the call and a blank line; what went wrong is its last line.
    send({ error: (error as Error).message.trim().split('\n').at(-1) ?? 'unknown' });
  } finally {
    port.close();
  }
}
