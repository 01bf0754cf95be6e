import { randomUUID } from 'node:crypto';
import { RateLimitService } from './rate-limit.service.js';
import { RateLimitStats } from './rate-limit-stats.js';
import type { RateLimitModuleOptions } from './rate-limit.options.js';

const REDIS = { url: process.env.REDIS_CACHE_URL ?? 'redis://127.0.0.1:6380' };

/** N instances' limiters on one Redis (real), as N API processes would have. */
async function instances(count: number, options: Partial<RateLimitModuleOptions> = {}) {
  const keyPrefix = `store-api:test:rate-limit-spec:${randomUUID()}`;
  const all = Array.from(
    { length: count },
    () =>
      new RateLimitService(
        { redis: REDIS, keyPrefix, policies: { default: { limit: 100 } }, commandTimeoutMs: 1_000, ...options },
        new RateLimitStats(),
      ),
  );
  await Promise.all(all.map((limiter) => limiter.onModuleInit()));
  return all;
}

const passed = async (decisions: ReturnType<RateLimitService['consume']>[]) =>
  (await Promise.all(decisions)).filter((decision) => decision.allowed).length;

describe('RateLimitService (leases over a shared sliding window, real Redis)', () => {
  const open: RateLimitService[] = [];
  afterEach(() => open.splice(0).forEach((limiter) => limiter.onApplicationShutdown()));

  it('never admits more than the limit across 3 instances, in waves of concurrent requests', async () => {
    const limiters = await instances(3);
    open.push(...limiters);
    let admitted = 0;
    for (let wave = 0; wave < 12; wave++) {
      const decisions = limiters.flatMap((limiter, index) =>
        Array.from({ length: 3 + ((wave * 7 + index * 5) % 11) }, () => limiter.consume('default', 'ip:10.9.9.9')),
      );
      admitted += await passed(decisions);
      expect(admitted).toBeLessThanOrEqual(100);
    }
    // Demand (~250) far above the limit on every instance: every leased token was spent.
    expect(admitted).toBe(100);
  });

  it('decides most requests of a hot client locally: a Redis call per lease, not per request', async () => {
    const [limiter] = await instances(1, { policies: { default: { limit: 1_000_000 } }, lease: { max: 20 } });
    open.push(limiter);
    for (let i = 0; i < 500; i++) await limiter.consume('default', 'user:1');
    expect(limiter.redisCalls / 500).toBeLessThanOrEqual(0.06);
    expect(limiter.stats.decided.lease).toBeGreaterThan(450);
  });

  it('counts every request in Redis without leases (lease.max 0), and exactly', async () => {
    const [a, b] = await instances(2, { lease: { max: 0 } });
    open.push(a, b);
    const decisions = Array.from({ length: 150 }, (_, i) => (i % 2 ? a : b).consume('default', 'key:7'));
    expect(await passed(decisions)).toBe(100);
    expect(a.redisCalls + b.redisCalls).toBeGreaterThan(1);
  });

  it('remembers a refusal until the wait is over: no Redis call for a client that keeps knocking', async () => {
    const [limiter] = await instances(1, { policies: { default: { limit: 5 } } });
    open.push(limiter);
    await passed(Array.from({ length: 6 }, () => limiter.consume('default', 'ip:10.9.9.8')));
    const calls = limiter.redisCalls;
    const refused = await limiter.consume('default', 'ip:10.9.9.8');
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.retryAfterS).toBeGreaterThan(0);
    expect(limiter.redisCalls).toBe(calls);
  });

  it('applies the failure policy when Redis is unreachable: open passes, closed refuses', async () => {
    const [limiter] = await instances(1, {
      redis: { url: 'redis://127.0.0.1:1' },
      policies: { default: { limit: 10 }, auth: { limit: 10, failClosed: true } },
    });
    open.push(limiter);
    expect(await limiter.consume('default', 'ip:1.2.3.4')).toMatchObject({ allowed: true, unavailable: true });
    expect(await limiter.consume('auth', 'ip:1.2.3.4')).toMatchObject({ allowed: false, unavailable: true });
  });
});
