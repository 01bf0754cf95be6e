/** Callers waiting for another instance to fill a key: woken by its "filled" message, or a timeout. */
export class FillWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  wait(name: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiting.get(name) ?? new Set();
      this.waiting.set(name, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (!waiters.size) this.waiting.delete(name);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, timeoutMs));
      waiters.add(done);
    });
  }

  wake(name: string): void {
    // Deleting the visited element while iterating a Set is safe.
    for (const done of this.waiting.get(name) ?? []) done();
  }
}
