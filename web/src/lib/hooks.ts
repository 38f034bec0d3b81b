/** Loading and acting on the API with the error kept for showing in place. */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';
import { VectraError } from '@vectra/client';
import { ApiError } from './api';

/** The error to show: the client's (or the fetch wrapper's) as it is, anything else as CLIENT_ERROR. */
export function asApiError(e: unknown): VectraError {
  return e instanceof VectraError ? e : new ApiError(0, 'CLIENT_ERROR', e instanceof Error ? e.message : String(e));
}

export interface Loaded<T> {
  data: T | undefined;
  error: VectraError | null;
  loading: boolean;
  reload(): void;
}

/** Run `load` now and whenever `deps` change (or on reload); a stale answer never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<VectraError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const n = ++latest.current;
    setLoading(true);
    load().then(
      (d) => {
        if (n !== latest.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (n !== latest.current) return;
        setError(asApiError(e));
        setLoading(false);
      },
    );
    // `load` is a new closure each render: the caller lists what it depends on in `deps`.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export interface Action {
  busy: boolean;
  error: VectraError | null;
  /** Run `fn`, keeping its error for display; resolves to its result, or undefined when it failed. */
  run<T>(fn: () => Promise<T>): Promise<T | undefined>;
  clear(): void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<VectraError | null>(null);
  const run = useCallback(async <T,>(fn: () => Promise<T>) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(asApiError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}
