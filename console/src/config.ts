/** Where the API is and how to sign in, read from config.json beside index.html so that one
 * build serves every deployment (the local gateway and each CloudFront distribution). */
export type Config =
  | { mode: "local"; api: string }
  | {
      /** "cognito" as Terraform writes it; "oidc" for any other provider. */
      mode: "cognito" | "oidc";
      api: string;
      authority: string;
      client_id: string;
      scope?: string;
      redirect_uri?: string;
      post_logout_redirect_uri?: string;
      /** Cognito's hosted UI has no end_session_endpoint in its discovery document. */
      logout_url?: string;
    };

export async function loadConfig(): Promise<Config> {
  const res = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-cache" });
  if (!res.ok) throw new Error(`config.json answered ${res.status}`);
  const cfg = (await res.json()) as Config;
  if (!["local", "cognito", "oidc"].includes(cfg.mode)) throw new Error("config.json: unknown mode");
  return { ...cfg, api: (cfg.api ?? "").replace(/\/$/, "") };
}
