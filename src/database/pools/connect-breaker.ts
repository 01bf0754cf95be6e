import type pg from 'pg';
import { isConnectionError, isPoolExhausted } from '../database-errors.js';

/** How long after a failed connection attempt checkouts fail at once, before one tries again. */
export const CONNECT_RETRY_MS = 200;

type Done = (error: Error | undefined, client: pg.PoolClient | undefined, release: (error?: Error) => void) => void;

/**
 * Fails checkouts at once while the server is known not to take connections (stopped, restarting,
 * shutting down). Without it, each call during an outage waits for a connection attempt of its own,
 * up to the acquire timeout — several times over for a request that makes several calls — and the
 * server coming back is met by a herd of connects. After a failed attempt, checkouts that would
 * need a new connection fail for {@link CONNECT_RETRY_MS}; then one of them tries, alone, and its
 * success closes the breaker. Idle connections are still handed out: a server that refuses new
 * sessions may serve the ones it has. Waiting for a busy pool (its acquire timeout) is not a failure
 * of the server and does not trip it.
 */
export class ConnectBreaker {
  private openUntil = 0;
  private trialRunning = false;

  constructor(private readonly pool: pg.Pool) {
    const connect = pool.connect.bind(pool) as (callback?: Done) => Promise<pg.PoolClient> | void;
    (pool as unknown as { connect: typeof connect }).connect = (callback?: Done) => {
      const trial = this.admit();
      if (trial === undefined) {
        const error = Object.assign(
          new Error('connection refused: the server refused a connection moments ago (retried shortly)'),
          { code: 'ECONNREFUSED' },
        );
        if (!callback) return Promise.reject(error);
        process.nextTick(() => callback(error, undefined, () => undefined));
        return;
      }
      if (callback)
        return connect((error, client, release) => (this.settle(trial, error), callback(error, client, release)));
      return (connect() as Promise<pg.PoolClient>).then(
        (client) => (this.settle(trial, undefined), client),
        (error: Error) => {
          this.settle(trial, error);
          throw error;
        },
      );
    };
  }

  /** Whether this checkout may go ahead (and whether it is the trial); undefined: refuse it. */
  private admit(): boolean | undefined {
    if (this.openUntil === 0 || this.pool.idleCount > 0) return false;
    if (this.trialRunning || performance.now() < this.openUntil) return undefined;
    this.trialRunning = true;
    return true;
  }

  private settle(trial: boolean, error: Error | undefined): void {
    if (trial) this.trialRunning = false;
    if (!error) {
      this.openUntil = 0;
      return;
    }
    const serverFailed = isConnectionError(error) && !isPoolExhausted(error);
    if (trial || serverFailed) this.openUntil = performance.now() + CONNECT_RETRY_MS;
  }
}
