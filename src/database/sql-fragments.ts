import { Prisma } from '../generated/prisma/client.js';

/**
 * A `timestamptz(3)` column as the JSON string clients get (`2026-11-30T04:05:11.123Z`, what
 * `Date#toISOString` writes), formatted by Postgres: no Date is parsed, built and formatted
 * again per row on the way out (a list page of 20 products did that 40 times).
 */
export function isoTimestamp(column: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
