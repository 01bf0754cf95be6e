/**
 * PostgreSQL WAL positions (`pg_lsn`, written `16/B374D848`) as bigints, so they compare and
 * subtract exactly.
 */
export type Lsn = bigint;

const LSN_PATTERN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

export function isLsn(text: string): boolean {
  return LSN_PATTERN.test(text);
}

export function parseLsn(text: string): Lsn {
  if (!isLsn(text)) throw new Error(`not a WAL position: ${text}`);
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
