import { z } from 'zod';

export const MAX_INT = 2_147_483_647;

/** Postgres `integer` ids: 1 … 2^31-1, digits only. */
export const positiveId = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'must be a positive integer id')
  .transform(Number)
  .refine((id) => id <= MAX_INT, 'must be a positive integer id');

export const idParam = z.object({ id: positiveId });

/**
 * Dates Postgres takes from the driver: years 1–9999. JavaScript dates reach ±275,760 years, and
 * year 0 or BC dates make the query fail (a 500) rather than match nothing.
 */
export function isSqlDate(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9_999;
}

/**
 * Text Postgres can store: no NUL (text columns refuse it) and no unpaired UTF-16 surrogate (jsonb
 * refuses it). For `.refine(isStorableText, STORABLE_TEXT)` on free-text fields.
 */
export const isStorableText = (value: string): boolean => !value.includes('\u0000') && !/\p{Cs}/u.test(value);
export const STORABLE_TEXT = 'must not contain NUL or unpaired surrogate characters';

/** An integer in a query string: digits only (no more than `max` has), within [min, max]. */
export const integerParam = (min: number, max: number) =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${String(max).length}}$`), `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be an integer from ${min} to ${max}`);

/** Page size of every list: 1–100, 20 by default. */
export const limitParam = integerParam(1, 100).default(20);
