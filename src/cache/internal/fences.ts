import { isLsn, parseLsn } from '../../common/lsn.js';

/**
 * Positions of recent invalidations. A miss on an invalidated key (or tag, or namespace) loads with
 * "see at least this position", so a lagging replica cannot put the old row back into the cache.
 */
export class Fences {
  private readonly fences = new Map<string, { position: string; until: number }>();

  constructor(private readonly fenceMs: number) {}

  raise(name: string, position: string | undefined): void {
    if (!position || !isLsn(position)) return;
    const current = this.fences.get(name);
    if (current && current.until > Date.now() && parseLsn(current.position) >= parseLsn(position)) return;
    this.fences.set(name, { position, until: Date.now() + this.fenceMs });
  }

  /** The highest live position among these names. */
  highest(names: string[]): string | undefined {
    let best: string | undefined;
    const now = Date.now();
    for (const name of names) {
      const fence = this.fences.get(name);
      if (!fence) continue;
      if (fence.until <= now) {
        this.fences.delete(name);
        continue;
      }
      if (!best || parseLsn(fence.position) > parseLsn(best)) best = fence.position;
    }
    return best;
  }
}
