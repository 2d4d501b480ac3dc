// A tiny History-API router: every view has a URL (/trace/{id}, /search?…, /map?…,
// /compare/{a}/{b}, /health?service=…), back/forward work, and links are plain <a href>s that
// navigate without reloading.
import { useEffect, useState } from 'preact/hooks';

export interface Location {
  pathname: string;
  search: string;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { pathname: window.location.pathname, search: window.location.search };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const here = window.location.pathname + window.location.search;
  if (to === here) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

/** Replaces one query parameter (or several) of the current URL without a new history entry. */
export function replaceQuery(changes: Record<string, string | undefined | null>): void {
  const q = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  navigate(window.location.pathname + (s ? `?${s}` : ''), { replace: true });
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc((l) => (l.pathname === window.location.pathname && l.search === window.location.search ? l : current()));
    listeners.add(update);
    window.addEventListener('popstate', update);
    update(); // a child's effect may have navigated before this listener existed
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return loc;
}

export type Route =
  | { view: 'search' }
  | { view: 'trace'; id: string }
  | { view: 'map' }
  | { view: 'compare'; a: string; b: string }
  | { view: 'health' }
  | { view: 'notfound' };

export function matchRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts[0] === 'search' && parts.length === 1)) return { view: 'search' };
  if (parts[0] === 'trace' && parts.length === 2) return { view: 'trace', id: parts[1].toLowerCase() };
  if (parts[0] === 'map' && parts.length === 1) return { view: 'map' };
  if (parts[0] === 'compare' && parts.length <= 3) return { view: 'compare', a: parts[1] ?? '', b: parts[2] ?? '' };
  if (parts[0] === 'health' && parts.length === 1) return { view: 'health' };
  if (parts.length === 1 && /^([0-9a-f]{16}|[0-9a-f]{32})$/i.test(parts[0])) return { view: 'trace', id: parts[0].toLowerCase() };
  return { view: 'notfound' };
}

/** An in-app link: a real href (open in new tab works), navigation without reload on click. */
export function onLinkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}
