import { CacheNames, encodeId } from './cache-keys.js';

describe('cache keys', () => {
  it('keeps simple ids readable and encodes the rest URL-safe', () => {
    expect(encodeId(42)).toBe('42');
    expect(encodeId('sku-0001')).toBe('sku-0001');
    const encoded = encodeId({ q: 'drill & saw', page: 2 });
    expect(encoded).toMatch(/^b64\.[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(encoded.slice(4), 'base64url').toString())).toEqual({ q: 'drill & saw', page: 2 });
    expect(encodeId('a:b')).not.toContain(':');
    expect(encodeId(['newest', 20])).toBe(encodeId(['newest', 20]));
    // A plain string that looks like an encoded id is encoded too: it cannot alias a structured id.
    expect(encodeId(encoded)).not.toBe(encoded);
  });

  it('builds app:env:namespace:v<version>:id', () => {
    expect(new CacheNames('store-api:test').entry('products', 3, 7)).toBe('store-api:test:products:v3:7');
  });

  it('reads the namespace and the version-free stem back from an entry name', () => {
    const names = new CacheNames('store-api:test');
    const entry = names.entry('products', 12, { q: 'x' });
    expect(names.namespaceOf(entry)).toBe('products');
    expect(names.stemOf(entry)).toBe(names.stem('products', { q: 'x' }));
  });
});
