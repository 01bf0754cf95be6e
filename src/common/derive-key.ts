import { hkdfSync } from 'node:crypto';

/**
 * A 256-bit key for one purpose, derived from an application secret with HKDF-SHA256: one secret
 * to configure and rotate, and no use's key reveals the secret or another use's key.
 */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'store-api', purpose, 32));
}
