/** Sign-in. Locally: pick a tenant and a role (the gateway mints a dev token; it exists only on
 * the loopback-bound local stack). On AWS: Cognito's hosted UI. A link such as
 * `sign-in?tenant=acme&role=viewer&next=/console/posts` signs in locally at once, so any page can
 * be opened directly (the Lighthouse run uses it). */
import { useEffect, useState } from "preact/hooks";
import { isLocal, localSignIn, oidcSignIn, oidcCallback } from "../auth";
import { navigate, BASE } from "../router";
import { ApiError } from "../errors";
import { ErrorMessage, Field } from "../ui";
import type { Role } from "../session";

function nextPage(params: URLSearchParams): string {
  const next = params.get("next") ?? "";
  // Only pages of this app: never an absolute or protocol-relative URL.
  return next.startsWith(BASE) && !next.startsWith("//") && !next.includes("sign-in") ? next : `${BASE}events`;
}

/** Whether the sign-in page's query names a tenant and a role for a local sign-in. */
function isSignInLink(params: URLSearchParams): boolean {
  return isLocal() && !!params.get("tenant") && !!params.get("role");
}

/** A local sign-in link (`sign-in?tenant=…&role=…&next=…`) signs in before the app is first
 * drawn, so the page it leads to is the first thing painted: drawn after the sign-in form, it
 * moved what was on screen (layout shift). If it fails, the sign-in page tries again and shows
 * why. */
export async function signInFromLink(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!location.pathname.endsWith("/sign-in") || !isSignInLink(params)) return;
  try {
    await localSignIn(params.get("tenant")!, params.get("role") as Role);
    navigate(nextPage(params), true);
  } catch {
    // The sign-in page repeats the attempt and shows the error at its field.
  }
}

export function SignIn() {
  const params = new URLSearchParams(location.search);
  const [tenant, setTenant] = useState(params.get("tenant") ?? "acme");
  const [role, setRole] = useState<Role>((params.get("role") as Role) ?? "admin");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (t = tenant, r = role) => {
    setBusy(true);
    setError(undefined);
    try {
      if (isLocal()) {
        await localSignIn(t, r);
        navigate(nextPage(params), true);
      } else {
        await oidcSignIn(nextPage(params));
      }
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  // A link that names the tenant and role signs in at once: until it has (or has failed), the
  // form is not drawn, so the page it leads to appears in an empty space rather than pushing the
  // form about (Lighthouse counts that as layout shift).
  const direct = isSignInLink(params);
  useEffect(() => {
    if (direct) void submit();
  }, []);

  const fields = error instanceof ApiError ? error.fields() : {};
  if (direct && !error) {
    return (
      <p class="visually-hidden" role="status">
        Signing in…
      </p>
    );
  }

  return (
    <section class="signin card">
      <h1>Sign in to OFAuto</h1>
      {isLocal() ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <p>This is the local stack: pick a tenant and a role. Local sign-in exists only here, on 127.0.0.1.</p>
          <Field id="tenant" label="Tenant" error={fields.tenant} hint="Letters, digits, '.', '_' or '-'.">
            {(a) => (
              <input
                {...a}
                name="tenant"
                required
                maxLength={64}
                autoComplete="organization"
                value={tenant}
                onInput={(e) => setTenant(e.currentTarget.value)}
              />
            )}
          </Field>
          <fieldset class="field">
            <legend>Role</legend>
            {(["admin", "editor", "viewer"] as const).map((r) => (
              <label class="choice" key={r}>
                <input type="radio" name="role" value={r} checked={role === r} onChange={() => setRole(r)} /> {r}
              </label>
            ))}
            {fields.role && <p class="field-error">{fields.role}</p>}
          </fieldset>
          <ErrorMessage error={error && !Object.keys(fields).length ? error : undefined} />
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      ) : (
        <>
          <p>Sign in with your organisation's account.</p>
          <ErrorMessage error={error} />
          <button type="button" disabled={busy} onClick={() => void submit()}>
            Continue to sign-in
          </button>
        </>
      )}
    </section>
  );
}

export function Callback() {
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    oidcCallback()
      .then((to) => navigate(to, true))
      .catch(setError);
  }, []);
  // Nothing to look at until the page it returns to: only the error, if there is one.
  if (!error) {
    return (
      <p class="visually-hidden" role="status">
        Signing in…
      </p>
    );
  }
  return (
    <section class="card">
      <h1>Signing in failed</h1>
      <ErrorMessage error={error} />
    </section>
  );
}
