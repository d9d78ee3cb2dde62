/** A GET of the JSON API as a hook: the data, the error, and reload() (also used by live updates). */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { apiGet } from './http.js';

export interface ApiState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Fetches again, keeping the current data on screen until the answer comes. */
  reload: () => void;
  /** Replaces the data (a live update that carries the new value). */
  set: (update: (current: T | undefined) => T | undefined) => void;
}

/** Fetches path (again whenever it changes); undefined path: nothing to fetch yet. */
export function useApi<T>(path: string | undefined): ApiState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(path !== undefined);
  const generation = useRef(0);

  const load = useCallback(() => {
    if (path === undefined) return;
    const mine = ++generation.current;
    setLoading(true);
    apiGet<T>(path).then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (mine !== generation.current) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setLoading(false);
      },
    );
  }, [path]);

  useEffect(() => {
    load();
    return () => void (generation.current += 1);
  }, [load]);

  return { data, error, loading, reload: load, set: (update) => setData(update) };
}

/** Calls fn at most once per intervalMs, the last call winning (for reloads triggered by live events). */
export function useThrottled(fn: () => void, intervalMs: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const timer = useRef<number | undefined>(undefined);
  const last = useRef(0);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return useCallback(() => {
    const wait = last.current + intervalMs - Date.now();
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(
      () => {
        timer.current = undefined;
        last.current = Date.now();
        latest.current();
      },
      Math.max(0, wait),
    );
  }, [intervalMs]);
}
