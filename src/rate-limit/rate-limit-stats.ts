/** Counters for metrics: requests refused per policy, and requests let through while Redis was unavailable. */
export class RateLimitStats {
  readonly rejected = new Map<string, number>();
  failOpen = 0;
  failClosed = 0;

  reject(policy: string): void {
    this.rejected.set(policy, (this.rejected.get(policy) ?? 0) + 1);
  }
}
