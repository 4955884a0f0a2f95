/** The API client: every request carries the in-memory token, and every failure becomes an
 * ApiError, so nothing fails silently. */
import { session } from "./session";
import { parseError } from "./errors";

let base = "";
export function initApi(apiBase: string) {
  base = apiBase;
}

export type Page<T> = { items: T[]; next_cursor: string | null };

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const s = session.get();
  const headers: Record<string, string> = {};
  if (s) headers.authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const err = await parseError(res);
    if (res.status === 401) session.set(null);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => api<T>("GET", path);

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
