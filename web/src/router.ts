// Client-side routing on the History API. The path and the query string
// are the whole view state (filters, sorting, window, page, tab), so every
// view is a link; history.state only carries the page tokens behind the
// current page, so "Previous" works within a visit.
import { useEffect, useState } from "preact/hooks";

export interface Location {
  path: string;
  params: URLSearchParams;
  state: NavState;
}

export interface NavState {
  // Page tokens of the pages before the current one, oldest first.
  prev?: string[];
}

const EVENT = "runwatch:navigate";

export function currentLocation(): Location {
  return {
    path: window.location.pathname,
    params: new URLSearchParams(window.location.search),
    state: (window.history.state as NavState | null) ?? {},
  };
}

export function navigate(href: string, opts: { replace?: boolean; state?: NavState } = {}): void {
  const state = opts.state ?? {};
  if (opts.replace) window.history.replaceState(state, "", href);
  else window.history.pushState(state, "", href);
  window.dispatchEvent(new Event(EVENT));
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(currentLocation);
  useEffect(() => {
    const update = () => setLoc(currentLocation());
    window.addEventListener("popstate", update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return loc;
}

// hrefWith returns the current path with some parameters changed; empty
// values are removed so URLs stay short and defaults stay implicit.
export function hrefWith(loc: Location, patch: Record<string, string | undefined>, path = loc.path): string {
  const p = new URLSearchParams(loc.params);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === "") p.delete(k);
    else p.set(k, v);
  }
  const qs = p.toString();
  return qs ? `${path}?${qs}` : path;
}

// setParams changes view parameters. Any change but paging starts again
// at the first page.
export function setParams(loc: Location, patch: Record<string, string | undefined>, opts: { replace?: boolean } = {}): void {
  const keepsPage = Object.keys(patch).every((k) => k === "page");
  navigate(hrefWith(loc, keepsPage ? patch : { ...patch, page: undefined }), opts);
}

// onLinkClick makes a plain <a href> navigate inside the app, leaving
// modified clicks (new tab, download) to the browser.
export function onLinkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target && a.target !== "_self") return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}

// matchRoute matches "/images/:digest" against a path.
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.replace(/\/+$/, "").split("/");
  if (path === "/" && pattern === "/") return {};
  if (want.length !== got.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) {
      if (!got[i]) return null;
      try {
        out[want[i].slice(1)] = decodeURIComponent(got[i]);
      } catch {
        return null;
      }
    } else if (want[i] !== got[i]) return null;
  }
  return out;
}
