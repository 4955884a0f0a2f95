//! Tenants and their tokens, minted with the stack's own dev key by `ofauto-token`, so the load
//! goes through the same JWT check as every client.

use crate::args::Args;
use std::process::Command;

pub struct Tenant {
    pub id: String,
    pub editor: String,
    pub admin: String,
}

/// `count` fresh tenants, so that each run starts from empty partitions and runs compare.
pub fn mint_tenants(args: &Args, count: usize) -> Result<Vec<Tenant>, String> {
    let run = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    (0..count)
        .map(|n| {
            let id = format!("load-{}-{run}-{n:03}", args.profile.name());
            Ok(Tenant {
                editor: mint(args, &id, "editor")?,
                admin: mint(args, &id, "admin")?,
                id,
            })
        })
        .collect()
}

fn mint(args: &Args, tenant: &str, role: &str) -> Result<String, String> {
    let output = Command::new(&args.token_bin)
        .arg("--state-dir")
        .arg(&args.state_dir)
        .args(["--tenant", tenant, "--role", role, "--tier", &args.tier])
        .args(["--ttl-seconds", "3600"])
        .output()
        .map_err(|e| format!("running {}: {e}", args.token_bin.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            args.token_bin.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if token.is_empty() {
        return Err(format!("{} printed no token", args.token_bin.display()));
    }
    Ok(token)
}
