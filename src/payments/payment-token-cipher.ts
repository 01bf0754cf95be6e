import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from '../common/derive-key.js';

const VERSION = 'v1';
/** What the migration left of a token written before encryption; sealed by the worker at boot. */
export const LEGACY_PREFIX = 'legacy:';

/**
 * Payment tokens at rest: AES-256-GCM, a fresh 96-bit IV per token, the user's id as additional
 * data (a ciphertext copied onto another user's order does not open). Stored as
 * `v1.<iv>.<ciphertext‖tag>` (base64url) in `order_payment_tokens`, only while the order waits
 * for its charge; the settlement erases it. The key is derived from PAYMENT_TOKEN_KEY (unset:
 * from JWT_SECRET) with HKDF, so the configured string may be any length ≥ 32.
 */
export class PaymentTokenCipher {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = deriveKey(secret, 'payment-token');
  }

  seal(token: string, userId: number): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`user-${userId}`));
    const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** @throws when the text was sealed with another key or user, or altered. */
  open(stored: string, userId: number): string {
    if (stored.startsWith(LEGACY_PREFIX)) return stored.slice(LEGACY_PREFIX.length);
    const [version, iv, sealed] = stored.split('.');
    if (version !== VERSION || !iv || !sealed) throw new Error('not a sealed payment token');
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`user-${userId}`));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  }
}
