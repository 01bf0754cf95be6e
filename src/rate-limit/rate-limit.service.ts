import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DEFAULT_RETRY_AFTER_S } from '../common/http/index.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.module-definition.js';
import type { RateLimitModuleOptions } from './rate-limit.options.js';
import { RateLimitStats } from './rate-limit-stats.js';
import { SlidingWindowStore, type Grant } from './sliding-window.store.js';

/** One policy's verdict on one request, with what the response headers say. */
export interface LimitDecision {
  policy: string;
  limit: number;
  allowed: boolean;
  /** Requests left in the window (as this instance knows it). */
  remaining: number;
  /** Seconds until the window ends. */
  resetS: number;
  /** Seconds until a refused request would pass. */
  retryAfterS: number;
  /** Decided without Redis (its failure policy applied). */
  unavailable: boolean;
}

interface Waiter {
  resolve: (decision: LimitDecision) => void;
}

/** What this instance holds for one client and policy. */
interface Bucket {
  /** Start of the fixed window the lease was counted in: it is spent in that window only. */
  window: number;
  /** Leased tokens not yet spent. */
  tokens: number;
  leaseUntil: number;
  /** The remaining budget as last seen, minus what this instance admitted since. */
  remaining: number;
  windowEndsAt: number;
  /** Refusals are answered here until then (the wait only grows as others count). */
  blockedUntil: number;
  inFlight: number;
  /** Spare tokens asked for by the calls in flight: held plus asked never exceeds `lease.max`. */
  spareAsked: number;
  /** Requests that arrived while `MAX_IN_FLIGHT` calls were out: the next call takes them all. */
  waiting: Waiter[] | null;
}

/**
 * Calls in flight per client and policy. With one, a busy client's requests waited a whole round
 * trip before theirs even left (+30 % req/s with 4 on cached reads); more only adds Redis calls.
 * Redis runs one connection's calls in order, so the counts stay exact.
 */
const MAX_IN_FLIGHT = 4;

/**
 * Sliding-window rate limits shared by every instance, at almost no cost for hot clients: an
 * instance leases a few requests of a client's budget in the call that counts its request, and
 * spends them locally; refusals are remembered until the wait is over. Without Redis, each
 * policy's failure mode decides (pass and count, or refuse with 503).
 *
 * Exactness across N instances: a lease is counted when granted and spent only in the fixed window
 * it was counted in, so at every moment the window's count covers every request admitted — the
 * sliding-window bound holds as if each request had gone to Redis. Unspent tokens are given back
 * when their lease lapses (or age out with the window): leasing can under-admit by at most
 * N × `lease.max` per window, never over-admit.
 */
@Injectable()
export class RateLimitService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly store: SlidingWindowStore;
  private readonly buckets: LRUCache<string, Bucket>;
  /** The sliding window's length. */
  readonly windowMs: number;
  private readonly lease: { max: number; divisor: number; ttlMs: number };
  private storeDown = false;

  constructor(
    @Inject(RATE_LIMIT_OPTIONS) private readonly options: RateLimitModuleOptions,
    readonly stats: RateLimitStats,
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.lease = { max: 100, divisor: 8, ttlMs: 1_000, ...options.lease };
    this.store = new SlidingWindowStore(
      options.redis,
      options.keyPrefix ?? 'rate-limit',
      options.commandTimeoutMs ?? 100,
    );
    // A bucket older than two windows holds nothing of use (its lease and block are over).
    this.buckets = new LRUCache({ max: options.maxClients ?? 100_000, ttl: 2 * this.windowMs });
  }

  async onModuleInit(): Promise<void> {
    // Bounded: with Redis down the app starts anyway, and the failure policies apply.
    if (this.enabled) await this.store.ready();
  }

  onApplicationShutdown(): void {
    this.store.close();
  }

  get enabled(): boolean {
    return this.options.enabled !== false;
  }

  /** Redis calls sent so far (the cost side of `stats.decided`). */
  get redisCalls(): number {
    return this.store.calls;
  }

  /**
   * Counts one request of `client` (e.g. `user:42`, `key:7`, `ip:10.0.0.1`) under `policyName`.
   * Synchronous when this instance can decide alone (a lease, or a refusal still running);
   * otherwise one Redis call, shared with the client's other waiting requests.
   * @param limit the client's own limit (an API key's override) @default the policy's
   */
  consume(policyName: string, client: string, limit?: number): LimitDecision | Promise<LimitDecision> {
    const policy = this.options.policies[policyName];
    if (!policy) throw new Error(`no rate-limit policy "${policyName}"`);
    const budget = limit ?? policy.limit;
    const id = `${policyName}:${client}`;
    const now = Date.now();
    const bucket = this.buckets.get(id);
    if (bucket) {
      // Leased requests are counted already: they pass even after Redis refused a later one.
      const leased = this.leased(policyName, budget, bucket, now);
      if (leased) return leased;
      if (now < bucket.blockedUntil)
        return this.decided(policyName, 'block', this.refusal(policyName, budget, bucket, now));
    }
    return new Promise((resolve) => {
      let current = bucket;
      if (!current) {
        current = {
          window: 0,
          tokens: 0,
          leaseUntil: 0,
          remaining: budget,
          windowEndsAt: 0,
          blockedUntil: 0,
          inFlight: 0,
          spareAsked: 0,
          waiting: null,
        };
        this.buckets.set(id, current);
      }
      if (current.waiting) current.waiting.push({ resolve });
      else if (current.inFlight < MAX_IN_FLIGHT) void this.send(id, policyName, budget, current, [{ resolve }]);
      else current.waiting = [{ resolve }];
    });
  }

  private async send(id: string, policyName: string, limit: number, bucket: Bucket, waiters: Waiter[]): Promise<void> {
    bucket.inFlight++;
    const now = Date.now();
    const window = now - (now % this.windowMs);
    // A lapsed lease's tokens go back in the same call (only within the window they were counted in).
    const giveBack = bucket.window === window ? bucket.tokens : 0;
    bucket.tokens = 0;
    // What this instance holds or is about to hold stays within one lease: that bounds the
    // budget it can leave unspent (under-admission) to `lease.max` per client and policy.
    const spareMax = Math.max(0, this.lease.max - bucket.spareAsked);
    bucket.spareAsked += spareMax;
    try {
      const grant = await this.store.take({
        key: id,
        windowMs: this.windowMs,
        limit,
        count: waiters.length,
        spareMax,
        divisor: this.lease.divisor,
        giveBack,
      });
      this.storeDown = false;
      this.settle(policyName, limit, bucket, window, grant, waiters);
    } catch (error) {
      for (const { resolve } of waiters) resolve(this.whenStoreDown(policyName, limit, error as Error));
    } finally {
      bucket.inFlight--;
      bucket.spareAsked -= spareMax;
      // A call may have brought a lease: the requests that waited meanwhile spend it first.
      const waiting = bucket.waiting ?? [];
      bucket.waiting = null;
      const now = Date.now();
      let served = 0;
      for (; served < waiting.length; served++) {
        const leased = this.leased(policyName, limit, bucket, now);
        if (!leased) break;
        waiting[served].resolve(leased);
      }
      const rest = waiting.slice(served);
      // ...and if the call found the budget spent, the rest are refused here as well.
      if (rest.length && now < bucket.blockedUntil)
        for (const { resolve } of rest)
          resolve(this.decided(policyName, 'block', this.refusal(policyName, limit, bucket, now)));
      else if (rest.length) void this.send(id, policyName, limit, bucket, rest);
    }
  }

  /** A request admitted from this instance's lease, if it holds one for the current window. */
  private leased(policyName: string, limit: number, bucket: Bucket, now: number): LimitDecision | undefined {
    if (bucket.tokens <= 0 || now >= bucket.leaseUntil || bucket.window !== now - (now % this.windowMs)) return;
    bucket.tokens--;
    bucket.remaining = Math.max(0, bucket.remaining - 1);
    return this.decided(
      policyName,
      'lease',
      this.admission(policyName, limit, bucket.remaining, bucket.windowEndsAt, now),
    );
  }

  private settle(policyName: string, limit: number, bucket: Bucket, window: number, grant: Grant, waiters: Waiter[]) {
    const now = Date.now();
    const { estimated, admitted, spare, windowLeftMs, waitMs } = grant;
    bucket.windowEndsAt = now + windowLeftMs;
    if (spare > 0) {
      bucket.tokens = bucket.window === window ? bucket.tokens + spare : spare;
      bucket.window = window;
      bucket.leaseUntil = Math.min(now + this.lease.ttlMs, bucket.windowEndsAt);
    }
    bucket.remaining = Math.max(0, Math.floor(limit - estimated - admitted));
    if (admitted < waiters.length) bucket.blockedUntil = now + waitMs;
    waiters.forEach(({ resolve }, index) => {
      if (index >= admitted)
        return resolve(this.decided(policyName, 'redis', this.refusal(policyName, limit, bucket, now)));
      const remaining = Math.max(0, Math.floor(limit - estimated - index - 1));
      resolve(
        this.decided(policyName, 'redis', this.admission(policyName, limit, remaining, bucket.windowEndsAt, now)),
      );
    });
  }

  private admission(
    policy: string,
    limit: number,
    remaining: number,
    windowEndsAt: number,
    now: number,
  ): LimitDecision {
    const resetS = seconds(windowEndsAt - now);
    return { policy, limit, allowed: true, remaining, resetS, retryAfterS: 0, unavailable: false };
  }

  private refusal(policy: string, limit: number, bucket: Bucket, now: number): LimitDecision {
    const retryAfterS = seconds(bucket.blockedUntil - now);
    return { policy, limit, allowed: false, remaining: 0, resetS: retryAfterS, retryAfterS, unavailable: false };
  }

  private decided(policy: string, by: 'lease' | 'redis' | 'block', decision: LimitDecision): LimitDecision {
    this.stats.decide(by);
    if (!decision.allowed) this.stats.reject(policy);
    return decision;
  }

  private whenStoreDown(policy: string, limit: number, error: Error): LimitDecision {
    const failClosed = this.options.policies[policy]?.failClosed ?? false;
    if (failClosed) this.stats.failClosed++;
    else this.stats.failOpen++;
    if (!this.storeDown) {
      const outcome = failClosed ? 'refused (503)' : 'let through unlimited';
      this.logger.warn(`rate-limit store unavailable (${error.message}): ${policy} requests are ${outcome}`);
    }
    this.storeDown = true;
    const retryAfterS = DEFAULT_RETRY_AFTER_S;
    return {
      policy,
      limit,
      allowed: !failClosed,
      remaining: limit,
      resetS: retryAfterS,
      retryAfterS,
      unavailable: true,
    };
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
