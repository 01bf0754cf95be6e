import type { Logger } from '@nestjs/common';

interface Holding {
  since: number;
  /** Formatting a stack is the expensive part, and V8 does it lazily: only leaks pay for it. */
  origin: Error;
  reported: boolean;
}

/**
 * Reports connections held longer than `thresholdMs`, with the stack that took them. Only
 * interactive transactions hold a connection across awaits of application code; a single
 * statement returns its connection when it completes (and `statement_timeout` bounds it), so
 * single statements are not watched and pay nothing.
 */
export class LeakWatch {
  private readonly holdings = new Map<object, Holding>();
  private readonly timer: NodeJS.Timeout;
  /** Number of leaks reported so far. */
  reported = 0;

  constructor(
    private readonly poolName: string,
    private readonly thresholdMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.check(), Math.max(50, Math.floor(thresholdMs / 4)));
    this.timer.unref();
  }

  /** `holder` took a connection (call it in the caller's frame: the stack is taken here). */
  track(holder: object): void {
    this.holdings.set(holder, { since: Date.now(), origin: new Error('connection taken here'), reported: false });
  }

  release(holder: object): void {
    this.holdings.delete(holder);
  }

  /** Connections held now longer than the threshold. */
  held(): number {
    const now = Date.now();
    let count = 0;
    for (const holding of this.holdings.values()) if (now - holding.since > this.thresholdMs) count++;
    return count;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    for (const holding of this.holdings.values()) {
      if (holding.reported || now - holding.since <= this.thresholdMs) continue;
      holding.reported = true;
      this.reported++;
      this.logger.warn(
        `${this.poolName}: a connection has been held for ${now - holding.since} ms (threshold ${this.thresholdMs} ms)\n${holding.origin.stack}`,
      );
    }
  }
}
