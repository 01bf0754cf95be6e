import { randomBytes } from 'node:crypto';
import { Prisma } from '../../generated/prisma/client.js';
import { CacheCodec } from './cache-codec.js';

const codec = new CacheCodec(1_024, [
  {
    name: 'prisma-decimal',
    isApplicable: (value): value is Prisma.Decimal => value instanceof Prisma.Decimal,
    serialize: (value) => (value as Prisma.Decimal).toString(),
    deserialize: (text) => new Prisma.Decimal(text),
  },
]);
const meta = { softExpiresAt: 1, hardExpiresAt: 2, etag: '"x"', tags: ['t'], negative: false };

function roundTrip<T>(value: T) {
  const { json } = codec.serializeValue(value);
  const buffer = codec.encode(meta, json);
  return { buffer, entry: codec.decode<T>(buffer)! };
}

describe('CacheCodec', () => {
  it('round-trips Date, BigInt, Decimal, null and nesting', () => {
    const value = {
      at: new Date('2026-11-23T08:00:00.123Z'),
      big: 12345678901234567890n,
      price: new Prisma.Decimal('19.990000000000000001'),
      nothing: null,
      list: [1, 'two', { three: new Date(0) }],
    };
    const { entry } = roundTrip(value);
    expect(entry.value.at).toBeInstanceOf(Date);
    expect(entry.value.at.toISOString()).toBe('2026-11-23T08:00:00.123Z');
    expect(entry.value.big).toBe(12345678901234567890n);
    expect(entry.value.price).toBeInstanceOf(Prisma.Decimal);
    expect(entry.value.price.toString()).toBe('19.990000000000000001');
    expect(entry.value.nothing).toBeNull();
    expect(entry.value.list[2]).toEqual({ three: new Date(0) });
    expect(entry).toMatchObject(meta);
  });

  it('compresses values over 1 KB that compress well', () => {
    const { buffer, entry } = roundTrip({ text: 'hammer '.repeat(500) });
    expect(CacheCodec.isCompressed(buffer)).toBe(true);
    expect(buffer.length).toBeLessThan(500);
    expect(entry.value.text).toBe('hammer '.repeat(500));
  });

  it('stores incompressible and small values raw', () => {
    expect(CacheCodec.isCompressed(roundTrip({ noise: randomBytes(3_000).toString('base64') }).buffer)).toBe(false);
    expect(CacheCodec.isCompressed(roundTrip({ small: 'hammer '.repeat(10) }).buffer)).toBe(false);
  });

  it('reads entries of another format version as misses', () => {
    const { buffer } = roundTrip({ a: 1 });
    const future = Buffer.from(buffer);
    future[0] = 99;
    expect(codec.decode(future)).toBeUndefined();
    expect(codec.decode(Buffer.from('garbage'))).toBeUndefined();
  });

  it('derives a strong ETag from the value', () => {
    expect(codec.serializeValue({ a: 1 }).etag).toBe(codec.serializeValue({ a: 1 }).etag);
    expect(codec.serializeValue({ a: 1 }).etag).not.toBe(codec.serializeValue({ a: 2 }).etag);
    expect(codec.serializeValue({ a: 1 }).etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
  });
});
