import { CacheStats } from '../cache-stats.js';
import { RedisStore } from './redis-store.js';

describe('RedisStore (real Redis)', () => {
  it('keeps its circuit closed when a reply waited out a CPU stall longer than the deadline', async () => {
    const store = new RedisStore(
      { url: 'redis://127.0.0.1:6380' }, // the cache Redis of services:up
      { commandTimeoutMs: 20, threshold: 1, halfOpenAfterMs: 60_000 },
      new CacheStats(),
    );
    try {
      expect(await store.ready()).toBe(true);
      const reply = store.attempt((redis) => redis.ping());
      // Let the command reach the socket (microtasks only: no I/O is read meanwhile)…
      for (let tick = 0; tick < 20; tick++) await Promise.resolve();
      // …then the process is busy for 100 ms, past the deadline, while Redis answers at once.
      const until = Date.now() + 100;
      while (Date.now() < until);
      expect(await reply).toEqual({ ok: true, value: 'PONG' });
      expect(store.circuit).toBe('closed');
    } finally {
      store.close();
    }
  });
});
