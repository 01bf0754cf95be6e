import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { formatLsn, parseLsn, type Lsn } from '../../common/lsn.js';

/** `<WAL position>` or `<WAL position>.<signature>`: anything else is a malformed header. */
const TOKEN = /^([0-9A-F]{1,8}\/[0-9A-F]{1,8})(?:\.([\w-]{1,86}))?$/i;
/** 128 bits of HMAC-SHA256: unguessable, and a short header. */
const TAG_BYTES = 16;

/** What a client's token says: a position it may ask for, nothing (unsigned, or not ours), or garbage. */
export type TokenReading = { kind: 'genuine'; lsn: Lsn } | { kind: 'unsigned' } | { kind: 'malformed' };

/**
 * Consistency tokens signed with HMAC-SHA256, so that only positions this API handed out can
 * steer reads: a forged `FFFFFFFF/FFFFFFFF` would otherwise send every read of its sender to the
 * primary. Tokens stay readable (`16/B374D848.<tag>`); instances sharing the key accept each
 * other's tokens.
 */
export class ConsistencyTokens {
  private readonly key: Buffer;

  /** `key`: shared by every instance; without one, a random key (tokens valid on this process only). */
  constructor(key?: string | Buffer) {
    this.key = key === undefined ? randomBytes(32) : Buffer.from(key);
  }

  issue(position: string): string {
    const canonical = formatLsn(parseLsn(position));
    return `${canonical}.${this.tag(canonical).toString('base64url')}`;
  }

  read(token: string): TokenReading {
    const match = TOKEN.exec(token);
    if (!match) return { kind: 'malformed' };
    const [, position, signature] = match;
    const lsn = parseLsn(position);
    if (signature === undefined) return { kind: 'unsigned' };
    const given = Buffer.from(signature, 'base64url');
    const expected = this.tag(formatLsn(lsn));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'unsigned' };
    return { kind: 'genuine', lsn };
  }

  private tag(canonical: string): Buffer {
    return createHmac('sha256', this.key).update(canonical).digest().subarray(0, TAG_BYTES);
  }
}
