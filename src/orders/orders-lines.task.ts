// Runs on a pool thread, inside the export's task (orders-export.task.ts): imports nothing of the app.

/** Separates the fields of a row in a batch's text; rows are separated by `\n`. */
export const FIELD_SEPARATOR = '\x1f';

/**
 * One batch of exported orders as the database wrote it (one text value, not an object per row):
 * `id, userId, status, totalCents, currency, createdAt` per row.
 */
export type ExportFormat = 'ndjson' | 'csv';

export interface OrderBatchText {
  format: ExportFormat;
  text: string;
}

/** The batch as NDJSON or CSV lines. */
export function formatOrderText({ format, text }: OrderBatchText): string {
  let out = '';
  for (const row of text.split('\n')) {
    const [id, userId, status, totalCents, currency, createdAt] = row.split(FIELD_SEPARATOR);
    out +=
      format === 'csv'
        ? // Every column is a number, an enum, a currency code or a timestamp: nothing to quote.
          `${id},${userId},${status},${totalCents},${currency},${createdAt}\n`
        : `${JSON.stringify({ id: Number(id), userId: Number(userId), status, totalCents: Number(totalCents), currency, createdAt })}\n`;
  }
  return out;
}
