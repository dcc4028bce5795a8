/**
 * Hands events from a producer (the running turn) to one async-iterating consumer (the SSE
 * response), in order, without losing any that arrive before the consumer starts reading.
 */
export function createEventQueue<T>() {
  const items: T[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const waitForActivity = () =>
    items.length > 0 || closed ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve));

  return {
    push(item: T) {
      items.push(item);
      notify();
    },
    close() {
      closed = true;
      notify();
    },
    /** Resolves once something was pushed or the producer finished. */
    waitForActivity,
    get idle() {
      return items.length === 0;
    },
    async *drain(): AsyncGenerator<T> {
      for (;;) {
        const next = items.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (closed) return;
        await waitForActivity();
      }
    },
  };
}
