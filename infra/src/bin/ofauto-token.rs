//! `ofauto-token`: mints a dev JWT that the local gateway accepts, signed with the key in the
//! state dir (created on first use, exactly as the stack would).

use ofauto_local::args::ArgReader;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: ofauto-token --tenant ID --role admin|editor|viewer [options]

  --tenant ID          the custom:tenant_id claim
  --no-tenant          omit custom:tenant_id (to exercise the 403 path)
  --role ROLE          a cognito:groups entry; repeat for several
  --sub SUB            the subject (default local-user)
  --tier NAME          the custom:tier claim, a rate-limit tier (e.g. bulk); omitted by default
  --state-dir DIR      where the dev key pair lives (default .local in the repository)
  --ttl-seconds N      lifetime (default 3600; negative mints an expired token)

Prints only the token. Issuer and audience follow OFAUTO_JWT_ISSUER / OFAUTO_JWT_AUDIENCE
(defaults ofauto-local / ofauto-api), as the gateway does.";

const ROLES: [&str; 3] = ["admin", "editor", "viewer"];

struct Options {
    tenant: Option<String>,
    roles: Vec<String>,
    sub: String,
    tier: Option<String>,
    state_dir: PathBuf,
    ttl_seconds: i64,
}

fn parse() -> Result<Option<Options>, String> {
    let mut tenant = None;
    let mut no_tenant = false;
    let mut roles = Vec::new();
    let mut sub = "local-user".to_string();
    let mut tier = None;
    let mut state_dir = None;
    let mut ttl_seconds = 3600;
    let mut r = ArgReader::new(std::env::args().skip(1));
    while let Some(flag) = r.next_flag() {
        let mut flag = flag?;
        match flag.name.as_str() {
            "tenant" => tenant = Some(r.value(&mut flag)?),
            "no-tenant" => {
                r.switch(&flag)?;
                no_tenant = true;
            }
            "role" => {
                let role = r.value(&mut flag)?;
                if !ROLES.contains(&role.as_str()) {
                    return Err(format!("--role must be one of {}", ROLES.join(", ")));
                }
                roles.push(role);
            }
            "sub" => sub = r.value(&mut flag)?,
            "tier" => tier = Some(r.value(&mut flag)?),
            "state-dir" => state_dir = Some(PathBuf::from(r.value(&mut flag)?)),
            "ttl-seconds" => ttl_seconds = r.parsed(&mut flag)?,
            "help" => return Ok(None),
            other => return Err(format!("unknown flag --{other}")),
        }
    }
    let tenant = match (tenant, no_tenant) {
        (Some(_), true) => return Err("--tenant and --no-tenant exclude each other".into()),
        (None, false) => return Err("--tenant is required (or --no-tenant)".into()),
        (t, _) => t,
    };
    if roles.is_empty() {
        return Err("--role is required".into());
    }
    Ok(Some(Options {
        tenant,
        roles,
        sub,
        tier,
        state_dir: ofauto_local::paths::resolve(state_dir.as_deref(), ".local"),
        ttl_seconds,
    }))
}

fn main() -> ExitCode {
    let opts = match parse() {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ofauto-token: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let keys = match ofauto_local::keys::ensure(&opts.state_dir) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ofauto-token: {e}");
            return ExitCode::FAILURE;
        }
    };
    let env_or = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": opts.sub,
        "iss": env_or("OFAUTO_JWT_ISSUER", ofauto_local::jwt::DEFAULT_ISSUER),
        "aud": env_or("OFAUTO_JWT_AUDIENCE", ofauto_local::jwt::DEFAULT_AUDIENCE),
        "iat": now,
        "exp": now + opts.ttl_seconds,
        "token_use": "id",
        "jti": ulid::Ulid::new().to_string(),
        "cognito:groups": opts.roles,
    });
    if let Some(tenant) = opts.tenant {
        claims["custom:tenant_id"] = json!(tenant);
    }
    if let Some(tier) = opts.tier {
        claims["custom:tier"] = json!(tier);
    }
    match ofauto_local::keys::sign(&keys, &claims) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ofauto-token: {e}");
            ExitCode::FAILURE
        }
    }
}
