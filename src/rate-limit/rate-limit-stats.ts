/** Counters for metrics: how requests were decided, refusals per policy, and decisions made without Redis. */
export class RateLimitStats {
  readonly rejected = new Map<string, number>();
  /** By where the decision came from: a local lease, a Redis call, or a refusal remembered locally. */
  readonly decided = { lease: 0, redis: 0, block: 0 };
  failOpen = 0;
  failClosed = 0;

  decide(by: keyof RateLimitStats['decided']): void {
    this.decided[by]++;
  }

  reject(policy: string): void {
    this.rejected.set(policy, (this.rejected.get(policy) ?? 0) + 1);
  }
}
