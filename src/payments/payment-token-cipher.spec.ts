import { PaymentTokenCipher } from './payment-token-cipher.js';

describe('PaymentTokenCipher', () => {
  const cipher = new PaymentTokenCipher('a-payment-token-key-of-at-least-32-chars');

  it('seals a token into text that does not contain it, and opens it again', () => {
    const sealed = cipher.seal('tok_visa_4242', 7);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('tok_visa');
    expect(cipher.open(sealed, 7)).toBe('tok_visa_4242');
    // A fresh IV each time: the same token never seals to the same text.
    expect(cipher.seal('tok_visa_4242', 7)).not.toBe(sealed);
  });

  it('refuses another key, another user, and an altered text', () => {
    const sealed = cipher.seal('tok_visa_4242', 7);
    expect(() => new PaymentTokenCipher('another-key-of-at-least-32-characters!').open(sealed, 7)).toThrow();
    expect(() => cipher.open(sealed, 8)).toThrow();
    const [version, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(() => cipher.open(`${version}.${iv}.${flipped.toString('base64url')}`, 7)).toThrow();
    expect(() => cipher.open('tok_visa_4242', 7)).toThrow(/not a sealed payment token/);
  });

  it("opens what the migration left ('legacy:<token>') until the worker seals it", () => {
    expect(cipher.open('legacy:tok_old', 1)).toBe('tok_old');
  });
});
