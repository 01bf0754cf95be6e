/** Work that outlived its deadline; what it did meanwhile (in Redis, in a database) is unknown. */
export class DeadlineExceeded extends Error {}

/**
 * `promise`, or a `DeadlineExceeded` after `ms`. Unlike ioredis' `commandTimeout`, a deadline whose
 * timer fires late (the event loop was busy past it) first yields once to I/O: a reply already
 * waiting in the socket is read rather than declared lost. Otherwise a CPU stall makes every
 * in-flight command "time out" at once, and a rate limiter would fail open for all of them.
 * The timer is cleared as soon as `promise` settles (no timer outlives the work).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what = 'no reply'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new DeadlineExceeded(`${what} within ${ms} ms`))), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}
