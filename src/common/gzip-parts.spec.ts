import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { GzipParts } from './gzip-parts.js';

describe('GzipParts', () => {
  const gzipOf = (parts: string[]) => {
    const gzip = new GzipParts();
    return Buffer.concat([...parts.map((part) => gzip.part(part)), gzip.end()]);
  };

  it('concatenates into one gzip stream whose CRC-32 and length check out', () => {
    const parts = Array.from({ length: 50 }, (_, i) => `{"id":${i},"name":"ünïcödé ${'x'.repeat(i * 97)}"}\n`);
    const bytes = gzipOf(parts);
    // gunzip verifies the trailer; so does gzip(1), an implementation other than Node's.
    expect(gunzipSync(bytes).toString()).toBe(parts.join(''));
    expect(execFileSync('gzip', ['-dc'], { input: bytes }).toString()).toBe(parts.join(''));
    expect(bytes.length).toBeLessThan(Buffer.byteLength(parts.join('')) / 5);
  });

  it('is a valid empty gzip stream with no parts, or only empty ones', () => {
    expect(gunzipSync(gzipOf([])).length).toBe(0);
    expect(gunzipSync(gzipOf(['', ''])).length).toBe(0);
  });
});
