// Hooks shared by the views: an async loader that cancels stale requests, and the size of an
// element (for SVG and canvas drawing).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type AsyncState<T> = { status: 'idle' } | { status: 'loading' } | { status: 'error'; error: string } | { status: 'done'; value: T };

/** Runs `load` whenever `deps` change; aborts the previous run. `load` may be undefined (idle). */
export function useAsync<T>(load: ((signal: AbortSignal) => Promise<T>) | undefined, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: load ? 'loading' : 'idle' });
  useEffect(() => {
    if (!load) {
      setState({ status: 'idle' });
      return;
    }
    const ctl = new AbortController();
    setState({ status: 'loading' });
    load(ctl.signal).then(
      (value) => !ctl.signal.aborted && setState({ status: 'done', value }),
      (e: unknown) => !ctl.signal.aborted && setState({ status: 'error', error: e instanceof Error ? e.message : String(e) }),
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

export function useElementSize<T extends HTMLElement>(): [(el: T | null) => void, { width: number; height: number }] {
  const [size, setSize] = useState({ width: 0, height: 0 });
  const observer = useRef<ResizeObserver | null>(null);
  const ref = useCallback((el: T | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!el) return;
    const ro = new ResizeObserver((entries) => {
      const r = entries[0].contentRect;
      setSize((s) => (s.width === r.width && s.height === r.height ? s : { width: r.width, height: r.height }));
    });
    ro.observe(el);
    observer.current = ro;
  }, []);
  useEffect(() => () => observer.current?.disconnect(), []);
  return [ref, size];
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
