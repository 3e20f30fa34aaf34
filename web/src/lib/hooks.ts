// Data-loading hooks: one call with its loading/error state, polling, and cursor pagination.

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, toApiError } from '../api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (value: T | null) => void;
}

/** Run `load` now and whenever `deps` change; `reload()` runs it again. A load that finishes
 * after a newer one started is dropped. With `pollMs`, it runs again that often while the tab is
 * visible (errors are kept visible until a run succeeds). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async (quiet: boolean) => {
    const mine = ++generation.current;
    if (!quiet) setLoading(true);
    try {
      const value = await loadRef.current();
      if (mine === generation.current) {
        setData(value);
        setError(null);
      }
    } catch (e) {
      if (mine === generation.current) setError(toApiError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void run(false);
    if (!pollMs) return undefined;
    const timer = window.setInterval(() => {
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden') void run(true);
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [...deps, pollMs]);

  useEffect(() => () => {
    generation.current += 1; // unmounted: late answers are dropped
  }, []);

  const reload = useCallback(() => run(true), [run]);
  return { data, error, loading, reload, setData };
}

export interface CursorPager {
  cursor: string | undefined;
  page: number;
  hasPrev: boolean;
  next: (cursor: string | null | undefined) => void;
  prev: () => void;
  reset: () => void;
}

/** Forward-only API cursors made into next/previous: the cursors of the pages seen are kept. */
export function useCursorPager(): CursorPager {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length,
    hasPrev: stack.length > 1,
    next: (c) => {
      if (c) setStack((s) => [...s, c]);
    },
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

/** A value that follows `value` once it stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return settled;
}
