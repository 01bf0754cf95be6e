import { z } from 'zod';
import { MAX_INT, isSqlDate } from '../http/query-params.js';

/**
 * Opaque keyset cursors: the sort key of the last row of a page (and which sort it belongs to),
 * as URL-safe base64 JSON. Clients pass them back unchanged; anything else is a 400.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The cursor after `row` in a list ordered by `(created_at, id)`: what `createdAtIdCursor` reads. */
export function createdAtIdCursorOf(row: { createdAt: Date | string; id: number }): string {
  return encodeCursor([new Date(row.createdAt).toISOString(), row.id]);
}

function decode(value: string): unknown[] | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export const isId = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= MAX_INT;

/** A cursor field: decodes to the raw key parts; each list checks their shape for its sort. */
export const cursorParam = z
  .string()
  .max(200, 'is not a valid cursor')
  .transform((value, context) => {
    const parts = decode(value);
    if (parts) return parts;
    context.addIssue({ code: 'custom', message: 'is not a valid cursor' });
    return z.NEVER;
  });

/** `[createdAt ISO, id]` → typed, or `undefined` when the parts do not fit. */
export function createdAtIdKey(parts: unknown[]): { createdAt: Date; id: number } | undefined {
  const [createdAt, id] = parts;
  const date = new Date(String(createdAt));
  return typeof createdAt === 'string' && isSqlDate(date) && isId(id) && parts.length === 2
    ? { createdAt: date, id }
    : undefined;
}

/** `createdAtIdCursor`: a cursor field for lists ordered by `(created_at, id)`. */
export const createdAtIdCursor = cursorParam.transform((parts, context) => {
  const key = createdAtIdKey(parts);
  if (key) return key;
  context.addIssue({ code: 'custom', message: 'is not a valid cursor' });
  return z.NEVER;
});

export interface Page<T> {
  data: T[];
  /** Pass as `cursor` to get the next page (the `Link: rel="next"` header holds the URL); absent on the last page. */
  nextCursor?: string;
}

/** A page, its `nextCursor` present only when there is a next page (lean payloads: no `null`). */
export function toPage<T>(data: T[], nextCursor: string | undefined): Page<T> {
  return nextCursor === undefined ? { data } : { data, nextCursor };
}
