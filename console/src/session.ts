/** Who is signed in. The token lives in this module's memory only: never in localStorage or
 * sessionStorage, so a reload means signing in again and nothing outlives the tab. */
import { signal } from "./signal";

export type Role = "admin" | "editor" | "viewer";
export type Session = { token: string; tenant: string; role: Role; expiresAt: number };

export const session = signal<Session | null>(null);

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** The strongest role among the token's `cognito:groups`, and its tenant. The API checks the
 * token itself; this only decides which buttons to show. */
export function sessionFromToken(token: string): Session {
  const payload = JSON.parse(b64urlDecode(token.split(".")[1] ?? "")) as Record<string, unknown>;
  const groups = Array.isArray(payload["cognito:groups"]) ? (payload["cognito:groups"] as string[]) : [];
  const roles = groups.filter((g): g is Role => g in RANK);
  const role = roles.sort((a, b) => RANK[b] - RANK[a])[0] ?? "viewer";
  return {
    token,
    role,
    tenant: String(payload["custom:tenant_id"] ?? ""),
    expiresAt: Number(payload.exp ?? 0) * 1000,
  };
}

function b64urlDecode(s: string): string {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export const canWrite = (s: Session | null) => !!s && s.role !== "viewer";
export const canAdmin = (s: Session | null) => !!s && s.role === "admin";
