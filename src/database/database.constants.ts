export const READ_FROM_PRIMARY = 'DATABASE:READ_FROM_PRIMARY';
/** Response header carrying the primary's WAL position after a write; clients send it back. */
export const CONSISTENCY_TOKEN_HEADER = 'x-consistency-token';
export const LAST_WRITE_KEY_PREFIX = 'db:last-write:user:';
