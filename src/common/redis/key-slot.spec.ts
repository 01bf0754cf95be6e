import { keySlot } from './key-slot.js';

describe('keySlot', () => {
  it("matches Redis Cluster's CLUSTER KEYSLOT (values from Redis' documentation and a real cluster)", () => {
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('ünï')).toBe(9441);
  });

  it('hashes only the first non-empty hash tag', () => {
    expect(keySlot('foo{hash_tag}')).toBe(2515);
    expect(keySlot('bar{hash_tag}:other')).toBe(2515);
    expect(keySlot('{store-api-test}:charges:1')).toBe(keySlot('{store-api-test}:emails:events'));
    // An empty `{}` is no tag: the whole key is hashed.
    expect(keySlot('a{}b')).toBe(13694);
  });
});
