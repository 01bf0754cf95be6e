import { keySlot } from '../common/redis/index.js';
import { windowKeys } from './sliding-window.store.js';

describe('windowKeys (sliding window)', () => {
  it('names the fixed window a request falls in, the one before, and how far into it the request is', () => {
    expect(windowKeys('app:rl', 'default:1.2.3.4', 60_000, 125_000)).toEqual({
      current: 'app:rl:{default:1.2.3.4}:120000',
      previous: 'app:rl:{default:1.2.3.4}:60000',
      elapsedMs: 5_000,
    });
  });

  it('moves to the next window exactly at its start; the old current becomes the previous', () => {
    const before = windowKeys('p', 'k', 1_000, 1_999);
    const at = windowKeys('p', 'k', 1_000, 2_000);
    expect(before.elapsedMs).toBe(999);
    expect(at.elapsedMs).toBe(0);
    expect(at.previous).toBe(before.current);
  });

  it('puts both windows of a client in one Redis Cluster slot, whatever the key holds', () => {
    for (const key of ['default:10.0.0.1', 'auth:user:42', 'search:[::1]'] as const) {
      const { current, previous } = windowKeys('store-api:test:rate-limit', key, 60_000, Date.now());
      expect(keySlot(current)).toBe(keySlot(previous));
    }
  });
});
