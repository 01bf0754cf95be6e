import { AsyncResource } from 'node:async_hooks';
import pg from 'pg';

export interface QueryTiming {
  sql: string;
  durationMs: number;
  failed: boolean;
}

/**
 * A pg `Client` class that times every query at the wire, where the SQL text is known (parameters
 * travel separately and are never reported). One class per pool, so timings carry the pool name.
 */
export function observedClientClass(onQuery: (timing: QueryTiming) => void): typeof pg.Client {
  class ObservedClient extends pg.Client {
    // @ts-expect-error pg's overloads cannot be re-declared one by one; every form is forwarded.
    override query(...args: unknown[]): unknown {
      const forward = super.query as (...a: unknown[]) => unknown;
      const first = args[0] as string | { text?: string } | undefined;
      const sql = typeof first === 'string' ? first : (first?.text ?? '');
      const started = performance.now();
      // Bound to the caller's async context: a callback runs from the socket's, and the slow-query
      // warning must carry the request id of the request that ran the query.
      const done = AsyncResource.bind((failed: boolean) =>
        onQuery({ sql, durationMs: performance.now() - started, failed }),
      );
      const last = args.at(-1);
      if (typeof last === 'function') {
        args[args.length - 1] = (error: Error | null, result: unknown) => {
          done(Boolean(error));
          return (last as (e: Error | null, r: unknown) => unknown)(error, result);
        };
        return forward.apply(this, args);
      }
      const pending = forward.apply(this, args);
      if (pending instanceof Promise) {
        pending.then(
          () => done(false),
          () => done(true),
        );
      }
      return pending;
    }
  }
  return ObservedClient as unknown as typeof pg.Client;
}

/**
 * A `pg.Pool` whose checkout callbacks run in the caller's async context. A caller that waits for
 * a busy pool is otherwise called back from the context of whoever released the connection, and
 * `pool.query` (what Prisma's adapter uses) sends its SQL from that callback: the query would be
 * logged under another request's id.
 */
export class ContextKeepingPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: PoolCheckoutCallback): void;
  override connect(callback?: PoolCheckoutCallback): Promise<pg.PoolClient> | void {
    return callback ? super.connect(AsyncResource.bind(callback)) : super.connect();
  }
}

type PoolCheckoutCallback = (error: Error | undefined, client: pg.PoolClient | undefined, release: () => void) => void;
