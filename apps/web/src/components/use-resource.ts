import { useCallback, useEffect, useRef, useState } from 'react';

export type Resource<T> =
  { state: 'loading' } | { state: 'failed'; message: string } | { state: 'loaded'; data: T };

/**
 * Loads `load()` on mount and on `reload()`, and again every `pollMs` while `poll(data)` says the
 * data is still changing (a document being ingested, a task running). A reload keeps showing the
 * previous data instead of flashing back to "loading".
 */
export function useResource<T>(
  load: () => Promise<T>,
  options: { pollMs?: number; poll?: (data: T) => boolean } = {},
) {
  const [resource, setResource] = useState<Resource<T>>({ state: 'loading' });
  const loadRef = useRef(load);
  loadRef.current = load;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    loadRef.current().then(
      (data) => {
        if (!active) return;
        setResource({ state: 'loaded', data });
        const { poll, pollMs = 1_000 } = optionsRef.current;
        if (poll?.(data)) timer = setTimeout(reload, pollMs);
      },
      (error: unknown) => {
        if (active)
          setResource({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [generation, reload]);

  return { resource, reload };
}
