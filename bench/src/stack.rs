//! A local stack started from the release binaries, for as long as the bench runs.
//!
//! The stack is the one `make dev` runs; the bench only reads the `OFAUTO_READY` line it prints
//! (endpoints, queues, bus) and the Lambda-style `REPORT` lines it logs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Stack {
    child: Child,
    pub ready: Value,
    pub log: PathBuf,
    pub state_dir: PathBuf,
    bin_dir: PathBuf,
}

impl Stack {
    /// Starts `ofauto-local` on a free loopback port with `max_concurrency` processes per function,
    /// and waits (at most two minutes) until it says it is ready.
    pub async fn start(
        bin_dir: &Path,
        state_dir: &Path,
        max_concurrency: usize,
    ) -> Result<Self, String> {
        std::fs::create_dir_all(state_dir).map_err(|e| e.to_string())?;
        let log = state_dir.join("stack.log");
        let stderr = File::create(&log).map_err(|e| e.to_string())?;
        let mut child = Command::new(bin_dir.join("ofauto-local"))
            .args(["--port", "0", "--exit-on-stdin-eof", "--bin-dir"])
            .arg(bin_dir)
            .arg("--state-dir")
            .arg(state_dir)
            .env("OFAUTO_LOCAL_MAX_CONCURRENCY", max_concurrency.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}/ofauto-local: {e}", bin_dir.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let wait = async {
            while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
                if let Some(json) = line.strip_prefix("OFAUTO_READY ") {
                    return serde_json::from_str::<Value>(json).map_err(|e| e.to_string());
                }
            }
            Err("the stack exited before it was ready".to_string())
        };
        let ready = tokio::time::timeout(Duration::from_secs(120), wait)
            .await
            .map_err(|_| "the stack was not ready within 120 s".to_string())?
            .map_err(|e| format!("{e}; see {}", log.display()))?;
        // Keep draining stdout so the stack never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            ready,
            log,
            state_dir: state_dir.to_path_buf(),
            bin_dir: bin_dir.to_path_buf(),
        })
    }

    pub fn field(&self, name: &str) -> String {
        self.ready[name].as_str().unwrap_or_default().to_string()
    }

    pub fn api(&self) -> String {
        self.field("api").trim_end_matches('/').to_string()
    }

    /// A dev JWT for `tenant` in the `bulk` rate-limit tier, so that 429s never shape a latency figure.
    pub async fn token(&self, tenant: &str, role: &str) -> Result<String, String> {
        let out = Command::new(self.bin_dir.join("ofauto-token"))
            .arg("--state-dir")
            .arg(&self.state_dir)
            .args(["--tenant", tenant, "--role", role, "--tier", "bulk"])
            .output()
            .await
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Closes stdin (the stack's stop signal) and waits for it to take its processes down.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
