import { z } from 'zod';

export const MAX_INT = 2_147_483_647;

/** Postgres `integer` ids: 1 … 2^31-1, digits only. */
export const positiveId = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'must be a positive integer id')
  .transform(Number)
  .refine((id) => id <= MAX_INT, 'must be a positive integer id');

export const idParam = z.object({ id: positiveId });

/** An integer in a query string: digits only (no more than `max` has), within [min, max]. */
export const integerParam = (min: number, max: number) =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${String(max).length}}$`), `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be an integer from ${min} to ${max}`);

/** Page size of every list: 1–100, 20 by default. */
export const limitParam = integerParam(1, 100).default(20);
