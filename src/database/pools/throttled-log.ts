import type { Logger } from '@nestjs/common';

/** At most `perSecond` warnings a second; the next line written says how many were left out. */
export class ThrottledLog {
  private windowStart = 0;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly perSecond: number,
  ) {}

  /** `message` gets `, N more not logged` (or '') to place in its text. */
  warn(message: (more: string) => string): void {
    const now = Date.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written >= this.perSecond) {
      this.suppressed++;
      return;
    }
    this.written++;
    const more = this.suppressed ? `, ${this.suppressed} more not logged` : '';
    this.suppressed = 0;
    this.logger.warn(message(more));
  }
}
