import type { Logger } from '@nestjs/common';
import type pg from 'pg';

interface Checkout {
  since: number;
  /** Formatting a stack is the expensive part, and V8 does it lazily: only leaks pay for it. */
  origin: Error;
  reported: boolean;
}

/**
 * Reports connections held longer than `thresholdMs`, with the stack that checked them out. The
 * stack is taken in `pool.connect()`, which every query (and every interactive transaction) goes
 * through.
 */
export class LeakWatch {
  private readonly checkouts = new Map<pg.PoolClient, Checkout>();
  private readonly timer: NodeJS.Timeout;
  /** Number of leaks reported so far. */
  reported = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly poolName: string,
    private readonly thresholdMs: number,
    private readonly logger: Logger,
  ) {
    type Done = (error: Error | undefined, client: pg.PoolClient | undefined, release: unknown) => void;
    const connect = pool.connect.bind(pool) as (callback?: Done) => Promise<pg.PoolClient> | void;
    // The stack is taken in the caller's frame; the pool hands the client over later.
    (pool as unknown as { connect: typeof connect }).connect = (callback?: Done) => {
      const origin = new Error('connection checked out here');
      if (callback) {
        return connect((error, client, release) => {
          if (client) this.track(client, origin);
          callback(error, client, release);
        });
      }
      return (connect() as Promise<pg.PoolClient>).then((client) => this.track(client, origin));
    };
    pool.on('release', (_error: Error | undefined, client: pg.PoolClient) => this.checkouts.delete(client));
    pool.on('remove', (client) => this.checkouts.delete(client as pg.PoolClient));
    this.timer = setInterval(() => this.check(), Math.max(50, Math.floor(thresholdMs / 4)));
    this.timer.unref();
  }

  /** Connections held now longer than the threshold. */
  held(): number {
    const now = Date.now();
    return [...this.checkouts.values()].filter((checkout) => now - checkout.since > this.thresholdMs).length;
  }

  private track(client: pg.PoolClient, origin: Error): pg.PoolClient {
    this.checkouts.set(client, { since: Date.now(), origin, reported: false });
    return client;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    for (const checkout of this.checkouts.values()) {
      if (checkout.reported || now - checkout.since <= this.thresholdMs) continue;
      checkout.reported = true;
      this.reported++;
      this.logger.warn(
        `${this.poolName}: a connection has been held for ${now - checkout.since} ms (threshold ${this.thresholdMs} ms)\n${checkout.origin.stack}`,
      );
    }
  }
}
