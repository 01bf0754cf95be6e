// Runs in a pool thread (see src/cpu-pool/cpu-task.ts): imports nothing of the app.

/** Separates the fields of a row in a batch's text; rows are separated by `\n`. */
export const FIELD_SEPARATOR = '\x1f';

/**
 * One batch of exported orders as the database wrote it (one text value: no object per row on the
 * event loop): `id, userId, status, totalCents, currency, createdAt` per row.
 */
export interface OrderBatchText {
  format: 'ndjson' | 'csv';
  text: string;
}

/** The batch as NDJSON or CSV lines, UTF-8 encoded (the bytes the response sends as they are). */
export function formatOrderLines({ format, text }: OrderBatchText): Uint8Array {
  let out = '';
  for (const row of text.split('\n')) {
    const [id, userId, status, totalCents, currency, createdAt] = row.split(FIELD_SEPARATOR);
    out +=
      format === 'csv'
        ? // Every column is a number, an enum, a currency code or a timestamp: nothing to quote.
          `${id},${userId},${status},${totalCents},${currency},${createdAt}\n`
        : `${JSON.stringify({ id: Number(id), userId: Number(userId), status, totalCents: Number(totalCents), currency, createdAt })}\n`;
  }
  return new TextEncoder().encode(out);
}
