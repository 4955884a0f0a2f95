/** Path routing under the app's base (/console/): the gateway and CloudFront answer index.html
 * for any page path, so every page has a real, shareable URL. */
import { signal } from "./signal";

export const BASE = import.meta.env.BASE_URL; // "/console/"
export const route = signal(currentPath());

function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "";
  return "/" + p.replace(/\/$/, "");
}

export function href(path: string): string {
  return BASE + path.replace(/^\//, "");
}

export function navigate(path: string, replace = false) {
  const url = path.startsWith(BASE) ? path : href(path);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  route.set(currentPath());
  window.scrollTo(0, 0);
}

addEventListener("popstate", () => route.set(currentPath()));

/** Internal links navigate without a reload; modified clicks keep the browser's behaviour. */
export function onLinkClick(e: MouseEvent) {
  const a = (e.target as Element).closest?.("a");
  if (!a || a.target || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}
