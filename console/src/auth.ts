/** Signing in: locally through the gateway's loopback-only sign-in, on AWS through Cognito's
 * hosted UI with oidc-client-ts (authorization code + PKCE). The OIDC library is loaded only in
 * OIDC mode, so local pages do not pay for it. */
import type { Config } from "./config";
import { session, sessionFromToken, type Role } from "./session";
import type { UserManager } from "oidc-client-ts";
import { ApiError, parseError } from "./errors";

let config: Config;
let manager: UserManager | undefined;

export function initAuth(cfg: Config) {
  config = cfg;
}

export const isLocal = () => config.mode === "local";

export async function localSignIn(tenant: string, role: Role): Promise<void> {
  const res = await fetch(`${import.meta.env.BASE_URL}local-sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tenant, role }),
  });
  if (!res.ok) throw await parseError(res);
  const { token } = (await res.json()) as { token: string };
  session.set(sessionFromToken(token));
}

async function oidc(): Promise<UserManager> {
  if (config.mode === "local") throw new Error("not in OIDC mode");
  if (manager) return manager;
  const { UserManager, WebStorageStateStore, InMemoryWebStorage } = await import("oidc-client-ts");
  const base = `${location.origin}${import.meta.env.BASE_URL}`;
  manager = new UserManager({
    authority: config.authority,
    client_id: config.client_id,
    redirect_uri: config.redirect_uri ?? `${base}callback`,
    post_logout_redirect_uri: config.post_logout_redirect_uri ?? `${base}sign-in`,
    response_type: "code",
    scope: config.scope ?? "openid email profile",
    // Tokens in memory only. The state store holds just the PKCE verifier and state for the
    // round trip through the hosted UI (it must survive that navigation); it is removed on return.
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: sessionStorage }),
    automaticSilentRenew: false,
  });
  return manager;
}

export async function oidcSignIn(returnTo: string) {
  await (await oidc()).signinRedirect({ state: returnTo });
}

/** Whether this load is the hosted UI sending the person back with a code (to /callback, or to
 * whatever redirect_uri the deployment registered). */
export const isOidcReturn = () => {
  if (!config || config.mode === "local") return false;
  const q = new URLSearchParams(location.search);
  return q.has("state") && (q.has("code") || q.has("error"));
};

/** Finishes the code exchange; answers the page the user was going to. */
export async function oidcCallback(): Promise<string> {
  const user = await (await oidc()).signinRedirectCallback();
  // API Gateway's authorizer checks the ID token: it carries custom:tenant_id and the groups.
  if (!user.id_token) throw new ApiError(0, "Sign-in failed", "No ID token came back.");
  session.set(sessionFromToken(user.id_token));
  return typeof user.state === "string" ? user.state : `${import.meta.env.BASE_URL}events`;
}

export async function signOut() {
  session.set(null);
  if (config.mode !== "local" && config.logout_url) {
    await manager?.removeUser();
    const u = new URL(config.logout_url);
    if (!u.searchParams.has("client_id")) u.searchParams.set("client_id", config.client_id);
    if (!u.searchParams.has("logout_uri")) {
      u.searchParams.set(
        "logout_uri",
        config.post_logout_redirect_uri ?? `${location.origin}${import.meta.env.BASE_URL}sign-in`,
      );
    }
    location.assign(u.toString());
  }
}
