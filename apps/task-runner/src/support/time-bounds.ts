/**
 * Every wait on the network during shutdown or a leadership change is bounded: a server that does
 * not answer (Redis or Postgres unreachable) must never keep the process from stepping down or
 * exiting. These helpers put the bound in one place.
 */

/** Resolves true when `promise` settles (fulfilled or rejected) within `ms`, false otherwise. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true as const,
        () => true as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** `promise`'s outcome, or a TimeoutError after `ms`. The work itself is not cancelled. */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work`'s outcome, or a rejection with the signal's reason as soon as it aborts — even when the
 * work ignores the signal. A processor that does not check its signal can then still not hold a
 * concurrency slot (or the shutdown) past its timeout; it may finish in the background, which is
 * harmless because processors are idempotent.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface RunSignal {
  signal: AbortSignal;
  /** Whether it was the timeout that aborted it. */
  readonly timedOut: boolean;
  /** The run ended: clears the timer and leaves the sources' listeners. Call it exactly once. */
  dispose(): void;
}

/**
 * One run's signal: aborted by the first of `sources` to abort (with its reason), or after
 * `timeoutMs` with a "TimeoutError" DOMException — what `AbortSignal.any([AbortSignal.timeout(ms),
 * ...sources])` gives, minus what that costs per run: its timer and signals stay alive until the
 * timeout fires (minutes, for every job, finished or not), about 10 µs and a few kB each that the
 * garbage collector then carries. Here everything goes with `dispose()`.
 */
export function runSignal(sources: ReadonlyArray<AbortSignal | undefined>, timeoutMs: number): RunSignal {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  const listening: Array<[AbortSignal, () => void]> = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    listening.push([source, onAbort]);
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      for (const [source, onAbort] of listening) source.removeEventListener('abort', onAbort);
    },
  };
}

/** Resolves once `signal` aborts (at once if it already has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
