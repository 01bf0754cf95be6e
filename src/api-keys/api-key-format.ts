import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every key starts with it: secret scanners and operators recognise a key by it. */
export const API_KEY_PREFIX = 'sk_';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 256 bits (62^43 > 2^256): as much as 32 random bytes. */
const RANDOM_CHARS = 43;
/** ≈ 130 bits of HMAC: guessing a tag is hopeless, and a wrong one costs one HMAC to refuse. */
const TAG_CHARS = 22;
const SIGNED_LENGTH = API_KEY_PREFIX.length + RANDOM_CHARS;
export const API_KEY_LENGTH = SIGNED_LENGTH + TAG_CHARS;
const SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${RANDOM_CHARS + TAG_CHARS}}$`);

/**
 * The key format: `sk_` + 43 random base62 characters + a 22-character tag, an HMAC of what
 * precedes it under a server secret. A key somebody made up fails on the tag alone, with no
 * database or Redis call, so a flood of random keys costs one HMAC each and nothing else.
 * The tag is what lets `verify` stay cheap, not what makes a key valid: that is its row.
 */
export class ApiKeyFormat {
  constructor(private readonly secret: string | Buffer) {}

  /** A new key: 256 random bits, unbiased (rejection sampling), then its tag. */
  generate(): string {
    let random = '';
    while (random.length < RANDOM_CHARS) {
      for (const byte of randomBytes(64)) {
        // 248 = 4 × 62: bytes above it would favour the first characters.
        if (byte < 248 && random.length < RANDOM_CHARS) random += ALPHABET[byte % 62];
      }
    }
    const signed = API_KEY_PREFIX + random;
    return signed + this.tagOf(signed);
  }

  /**
   * The key's tag when the key is well formed and its tag is right, else undefined. The tag
   * names the key in memory: it is an HMAC of the rest, so two keys share one only by a 2^-128 accident.
   */
  verifiedTag(key: unknown): string | undefined {
    if (typeof key !== 'string' || key.length !== API_KEY_LENGTH || !SHAPE.test(key)) return undefined;
    const given = key.slice(SIGNED_LENGTH);
    const expected = this.tagOf(key.slice(0, SIGNED_LENGTH));
    // Both are 22 ASCII characters (the shape was checked), so the buffers have equal lengths.
    return timingSafeEqual(Buffer.from(given, 'latin1'), Buffer.from(expected, 'latin1')) ? given : undefined;
  }

  /**
   * base62 of the HMAC's first bytes, one character per byte (`byte % 62`): slightly biased
   * towards 0–7 (5/256 instead of 4/256), which still leaves ≈ 130 bits, and needs no bignum.
   */
  private tagOf(signed: string): string {
    const mac = createHmac('sha256', this.secret).update(signed).digest();
    let tag = '';
    for (let index = 0; index < TAG_CHARS; index++) tag += ALPHABET[mac[index] % 62];
    return tag;
  }
}

/**
 * What the database stores and looks up: SHA-256 (hex) of the whole key. A fast hash is enough:
 * a key has 256 random bits, so there is nothing to guess, and the lookup must be one index probe.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What operators see of a key: `sk_` and 6 characters, and the last 4 (of the tag): ≈ 220 random bits stay unseen. */
export function displayPartsOf(key: string): { prefix: string; last4: string } {
  return { prefix: key.slice(0, API_KEY_PREFIX.length + 6), last4: key.slice(-4) };
}

/** The tag secret when none is configured: derived from another secret, for this one purpose. */
export function deriveApiKeySecret(secret: string): Buffer {
  return createHmac('sha256', secret).update('api-keys').digest();
}
