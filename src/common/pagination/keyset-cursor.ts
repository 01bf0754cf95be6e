import { z } from 'zod';

/**
 * Opaque keyset cursors: the sort key of the last row of a page, as URL-safe base64 JSON. Clients
 * pass them back unchanged; anything else fails validation with a 400.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** A zod schema that decodes a cursor into `[createdAt, id]`. */
export const createdAtIdCursor = z
  .string()
  .max(200, 'is not a valid cursor')
  .transform((value, context) => {
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown[];
      const date = new Date(String(createdAt));
      if (typeof createdAt === 'string' && !Number.isNaN(date.getTime()) && isId(id)) return { createdAt: date, id };
    } catch {
      // fall through to the validation error
    }
    context.addIssue({ code: 'custom', message: 'is not a valid cursor' });
    return z.NEVER;
  });

function isId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= 2_147_483_647;
}

export interface Page<T> {
  data: T[];
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  nextCursor: string | null;
}
