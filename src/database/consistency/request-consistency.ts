import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lsn } from '../../common/lsn.js';

/** What one request needs to read its own writes. */
export interface RequestConsistency {
  /** Reads must see at least this WAL position (from the client's token or the user's last write). */
  minLsn?: Lsn;
  /** The request wrote: its later reads go to the primary, and its response carries a token. */
  wrote: boolean;
  /** `@ReadFromPrimary()`: every read of this request goes to the primary. */
  primaryOnly: boolean;
  /** The primary's position read after this request's writes committed (`Db.committedPosition`); a later write drops it. */
  committedAt?: string;
}

const storage = new AsyncLocalStorage<RequestConsistency>();

export const requestConsistency = {
  run<T>(context: RequestConsistency, fn: () => T): T {
    return storage.run(context, fn);
  },
  current(): RequestConsistency | undefined {
    return storage.getStore();
  },
  /** Runs `fn` with reads that must see at least `position` (on top of the current request's needs). */
  atLeast<T>(position: Lsn, fn: () => T): T {
    const current = storage.getStore();
    const minLsn = current?.minLsn !== undefined && current.minLsn > position ? current.minLsn : position;
    return storage.run({ wrote: current?.wrote ?? false, primaryOnly: current?.primaryOnly ?? false, minLsn }, fn);
  },
  markWrite(): void {
    const context = storage.getStore();
    if (!context) return;
    context.wrote = true;
    context.committedAt = undefined;
  },
  committedAt(position: string): void {
    const context = storage.getStore();
    if (context) context.committedAt = position;
  },
};
