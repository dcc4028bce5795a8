/**
 * A latch between a notifier and one waiting loop: a wake-up that arrives while the loop is busy
 * is kept, so the next `wait` returns at once instead of missing it.
 */
export function createWaker() {
  let pending = false;
  let resolve: ((notified: boolean) => void) | undefined;
  return {
    wake: () => {
      pending = true;
      resolve?.(true);
    },
    /** True when woken, false after `ms` (or when `signal` aborts). */
    wait(ms: number, signal?: AbortSignal): Promise<boolean> {
      if (pending || signal?.aborted) {
        const notified = pending;
        pending = false;
        return Promise.resolve(notified);
      }
      return new Promise<boolean>((settle) => {
        const done = (notified: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', aborted);
          resolve = undefined;
          pending = false;
          settle(notified);
        };
        const aborted = () => done(false);
        const timer = setTimeout(() => done(false), ms);
        signal?.addEventListener('abort', aborted, { once: true });
        resolve = done;
      });
    },
  };
}
