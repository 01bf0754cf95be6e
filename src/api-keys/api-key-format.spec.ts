import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  API_KEY_LENGTH,
  API_KEY_PREFIX,
  ApiKeyFormat,
  deriveApiKeySecret,
  displayPartsOf,
  hashApiKey,
} from './api-key-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const format = new ApiKeyFormat(deriveApiKeySecret('a-test-jwt-secret-of-at-least-32-characters'));

describe('API key format', () => {
  it('is sk_ + 65 base62 characters, and its own tag verifies', () => {
    const key = format.generate();
    expect(key).toMatch(/^sk_[0-9A-Za-z]{65}$/);
    expect(key).toHaveLength(API_KEY_LENGTH);
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(format.verifiedTag(key)).toBe(key.slice(-22));
  });

  it('draws its random part evenly from the whole alphabet (no bias towards the first characters)', () => {
    const counts = new Map<string, number>();
    const keys = Array.from({ length: 2_000 }, () => format.generate());
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) for (const char of key.slice(3, 46)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe([...BASE62].sort().join(''));
    // 86,000 draws: 1,387 expected per character; modulo bias would put 0–7 near 1,730.
    const expected = (2_000 * 43) / 62;
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.15);
  });

  it('refuses a key whose any one character is changed', () => {
    const key = format.generate();
    for (let index = 0; index < key.length; index++) {
      const current = key[index];
      const replacement = BASE62[(BASE62.indexOf(current) + 1 + (index % 61)) % 62];
      const flipped = key.slice(0, index) + (current === replacement ? 'x' : replacement) + key.slice(index + 1);
      expect(format.verifiedTag(flipped), `position ${index}`).toBeUndefined();
    }
  });

  it('refuses made-up keys of the right shape (the tag cannot be guessed)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE62), minLength: 65, maxLength: 65 }), (body) => {
        expect(format.verifiedTag(`sk_${body}`)).toBeUndefined();
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses anything of another shape', () => {
    const key = format.generate();
    for (const bad of [
      undefined,
      null,
      42,
      {},
      [key],
      '',
      'sk_',
      key.slice(0, -1),
      `${key}0`,
      `pk_${key.slice(3)}`,
      `SK_${key.slice(3)}`,
      ` ${key.slice(1)}`,
      `${key.slice(0, 10)}-${key.slice(11)}`,
      `${key.slice(0, 10)}é${key.slice(11)}`,
      `${key.slice(0, 10)}\u0000${key.slice(11)}`,
      'sk_' + 'a'.repeat(10_000),
    ])
      expect(format.verifiedTag(bad), JSON.stringify(bad)?.slice(0, 40)).toBeUndefined();
  });

  it('ties keys to the secret: another secret refuses them', () => {
    const key = format.generate();
    expect(new ApiKeyFormat(deriveApiKeySecret('another-jwt-secret-of-at-least-32-characters')).verifiedTag(key)).toBe(
      undefined,
    );
    expect(new ApiKeyFormat('an-explicit-api-key-secret-of-32-chars-or-more').verifiedTag(key)).toBeUndefined();
  });

  it('derives the secret from the JWT secret for this purpose only (not the JWT secret itself)', () => {
    const derived = deriveApiKeySecret('a-test-jwt-secret-of-at-least-32-characters');
    expect(derived).toHaveLength(32);
    expect(derived.toString('latin1')).not.toContain('a-test-jwt-secret');
    expect(deriveApiKeySecret('a-test-jwt-secret-of-at-least-32-characters').equals(derived)).toBe(true);
  });

  it('stores the SHA-256 of the whole key, and shows operators only its ends', () => {
    const key = format.generate();
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    const { prefix, last4 } = displayPartsOf(key);
    expect(prefix).toBe(key.slice(0, 9));
    expect(last4).toBe(key.slice(-4));
  });

  it('refuses a made-up key in microseconds (a flood costs one HMAC per key)', () => {
    const forged = Array.from({ length: 20_000 }, () => `sk_${format.generate().slice(3, 46)}${'A'.repeat(22)}`);
    const started = performance.now();
    for (const key of forged) format.verifiedTag(key);
    const microsecondsEach = ((performance.now() - started) * 1_000) / forged.length;
    // ~3 µs on an idle core; generous for a busy shared machine, and still far below any slow
    // hash (argon2, scrypt: milliseconds) or I/O slipping into the refusal path.
    expect(microsecondsEach).toBeLessThan(200);
  });
});
