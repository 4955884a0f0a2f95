//! The webhook receiver channels deliver to: `scripts/webhook_receiver.py --control`, started once
//! per test binary on a free loopback port.
//!
//! It verifies every delivery with the PyPI `standardwebhooks` package, a verifier independent of
//! the Rust crate that signs, and answers as each endpoint's script says (statuses, delays,
//! `Retry-After`, redirects). Each test configures its own endpoints, named after it, so tests
//! share the receiver without seeing each other's deliveries.
//!
//! Its venv (`.venv-receiver`, from `scripts/requirements-receiver.txt`) is installed on first use,
//! exactly as `make receiver` does, so `make test` works on a fresh clone.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::stack::workspace_root;

const VENV: &str = ".venv-receiver";
const REQUIREMENTS: &str = "scripts/requirements-receiver.txt";
const SCRIPT: &str = "scripts/webhook_receiver.py";
const READY_PREFIX: &str = "RECEIVER_READY ";
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Receiver {
    port: u16,
    /// The receiver's stderr.
    pub log_path: PathBuf,
    // Held, never used: closing stdin stops the receiver (`--exit-on-stdin-eof`).
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

static RECEIVER: OnceLock<Result<Receiver, String>> = OnceLock::new();

/// The receiver for this test binary, started (and its venv installed) on first use.
pub fn receiver() -> &'static Receiver {
    match RECEIVER.get_or_init(start) {
        Ok(r) => r,
        Err(why) => panic!("{why}"),
    }
}

impl Receiver {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The endpoint at `/<name>`; `name` is a single URL path segment (letters, digits, `-`, `_`).
    pub fn endpoint(&self, name: &str) -> Endpoint {
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "endpoint name `{name}` is not a plain path segment"
        );
        Endpoint {
            name: name.to_string(),
            base: self.base_url(),
        }
    }

    /// A fresh endpoint with a unique name starting with `prefix`.
    pub fn new_endpoint(&self, prefix: &str) -> Endpoint {
        self.endpoint(&format!(
            "{prefix}-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ))
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub status: u16,
    /// Seconds to wait before answering.
    pub delay_s: f64,
    pub headers: Vec<(String, String)>,
}

impl Step {
    /// 200, at once.
    pub fn ok() -> Self {
        Self::status(200)
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            delay_s: 0.0,
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds `Retry-After: <value>` (seconds or an HTTP date).
    pub fn retry_after(self, value: &str) -> Self {
        self.header("Retry-After", value)
    }

    /// A redirect to `url`: adds `Location`, and makes the status 307 unless it already is a
    /// 3xx (`Step::status(302).redirect_to(url)` keeps 302).
    pub fn redirect_to(mut self, url: &str) -> Self {
        if !(300..400).contains(&self.status) {
            self.status = 307;
        }
        self.header("Location", url)
    }

    /// `Step::ok().redirect_to(url)`: 307 to `url`.
    pub fn redirect(url: &str) -> Self {
        Self::ok().redirect_to(url)
    }

    /// Waits `secs` before answering: past the sender's timeout, a receiver that hangs.
    pub fn hang(mut self, secs: f64) -> Self {
        self.delay_s = secs;
        self
    }
}

/// One request the receiver got, as it recorded it.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    /// Unix seconds, when the request arrived.
    pub received_at: f64,
    pub method: String,
    pub path: String,
    /// The `webhook-id` header (empty if absent).
    pub webhook_id: String,
    /// The `webhook-timestamp` header as sent (empty if absent).
    pub webhook_timestamp: String,
    /// The `webhook-signature` header split on spaces: `v1,<base64>` each.
    pub signatures: Vec<String>,
    /// The body parsed as JSON (a string if it was not JSON).
    pub body: Value,
    /// Indexes into the endpoint's configured secrets of those that verify this request on their
    /// own, with the PyPI `standardwebhooks` verifier.
    pub verified_by: Vec<usize>,
    /// The status the receiver answered.
    pub answered: u16,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
}

impl Delivery {
    /// `received_at` as a UTC time.
    pub fn received(&self) -> chrono::DateTime<chrono::Utc> {
        let micros = (self.received_at * 1e6).round() as i64;
        chrono::DateTime::from_timestamp_micros(micros).expect("a receive time in range")
    }
}

/// One scripted endpoint on the receiver.
#[derive(Debug, Clone)]
pub struct Endpoint {
    name: String,
    base: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building an HTTP client")
}

impl Endpoint {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL a channel points at: `http://127.0.0.1:<port>/<name>`.
    pub fn url(&self) -> String {
        format!("{}/{}", self.base, self.name)
    }

    fn control_url(&self) -> String {
        format!("{}/_control/endpoints/{}", self.base, self.name)
    }

    /// Sets the secrets deliveries are verified with and how requests are answered: the n-th by
    /// `script[n]`, the rest by `default`. Forgets the endpoint's earlier deliveries.
    pub async fn configure(&self, secrets: &[String], script: Vec<Step>, default: Step) {
        let body = serde_json::json!({ "secrets": secrets, "script": script, "default": default });
        let response = client()
            .put(self.control_url())
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("configuring receiver endpoint {}: {e}", self.name));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "configuring receiver endpoint {}: {status} {text}",
            self.name
        );
    }

    /// Every request so far, oldest first.
    pub async fn deliveries(&self) -> Vec<Delivery> {
        let response = client()
            .get(format!("{}/deliveries", self.control_url()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("reading receiver endpoint {}: {e}", self.name));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "reading receiver endpoint {}: {status} {text}",
            self.name
        );
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("receiver deliveries are not the expected JSON ({e}): {text}")
        })
    }

    /// Polls until at least `n` requests have arrived; panics with what did arrive after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Delivery> {
        let started = Instant::now();
        loop {
            let got = self.deliveries().await;
            if got.len() >= n {
                return got;
            }
            if started.elapsed() > within {
                panic!(
                    "receiver endpoint {} got {} of {n} deliveries within {within:?}: {:?}",
                    self.name,
                    got.len(),
                    got.iter()
                        .map(|d| (&d.webhook_id, d.answered))
                        .collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn python() -> String {
    std::env::var("PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into())
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn installed(venv: &Path, requirements: &Path) -> bool {
    venv.join("bin/python").is_file()
        && fs::read(venv.join(".installed")).ok() == fs::read(requirements).ok()
}

/// Installs `.venv-receiver` when it is missing or its pins changed, as `make receiver` does. It is
/// built beside the real one and renamed into place, so concurrent test binaries never see half a
/// venv; pip is always run as `python -m pip`, which a moved venv keeps working with.
fn ensure_venv(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join(VENV);
    let requirements = root.join(REQUIREMENTS);
    if installed(&venv, &requirements) {
        return Ok(venv);
    }
    eprintln!("ofauto-tests: installing the webhook receiver's verifier into {VENV}/ (one-off)");
    let tmp = root.join(format!(
        "{VENV}.tmp-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    ));
    let result = (|| {
        run(
            Command::new(python()).args(["-m", "venv"]).arg(&tmp),
            "python3 -m venv",
        )?;
        run(
            Command::new(tmp.join("bin/python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
            "pip install -r scripts/requirements-receiver.txt",
        )?;
        fs::copy(&requirements, tmp.join(".installed"))
            .map_err(|e| format!("stamping {}: {e}", tmp.display()))?;
        if installed(&venv, &requirements) {
            // Another test binary finished first.
            return Ok(());
        }
        if venv.exists() {
            fs::remove_dir_all(&venv)
                .map_err(|e| format!("removing the stale {}: {e}", venv.display()))?;
        }
        fs::rename(&tmp, &venv).or_else(|e| {
            if installed(&venv, &requirements) {
                Ok(())
            } else {
                Err(format!("moving the venv into {}: {e}", venv.display()))
            }
        })
    })();
    let _ = fs::remove_dir_all(&tmp);
    result.map(|()| venv)
}

fn start() -> Result<Receiver, String> {
    let root = workspace_root();
    let venv = ensure_venv(&root)?;
    let log_path = std::env::temp_dir().join(format!(
        "ofauto-tests-receiver-{}.log",
        ulid::Ulid::new().to_string().to_lowercase()
    ));
    let log = fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let mut child = Command::new(venv.join("bin/python"))
        .arg(root.join(SCRIPT))
        .args(["--control", "--port", "0", "--exit-on-stdin-eof"])
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| format!("cannot start {SCRIPT}: {e}"))?;
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::Builder::new()
        .name("webhook-receiver-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        })
        .map_err(|e| format!("cannot spawn a reader thread: {e}"))?;
    let started = Instant::now();
    let port = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if let Some(port) = line.trim().strip_prefix(READY_PREFIX) {
                    break port
                        .parse::<u16>()
                        .map_err(|e| format!("bad ready line `{line}`: {e}"))?;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the webhook receiver exited before it was ready; its log:\n{}",
                    crate::stack::log_tail(&log_path, 40)
                ));
            }
        }
        if started.elapsed() > READY_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the webhook receiver was not ready within {READY_TIMEOUT:?}; its log:\n{}",
                crate::stack::log_tail(&log_path, 40)
            ));
        }
    };
    Ok(Receiver {
        port,
        log_path,
        _child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    })
}

/// The Python of the receiver's venv, for the suite's other independent reference tools (the
/// cron reference, `scripts/cron_reference.py`): installed on first use like the receiver.
pub fn tools_python() -> PathBuf {
    static INSTALLED: Mutex<()> = Mutex::new(());
    let _one_installer = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    match ensure_venv(&workspace_root()) {
        Ok(venv) => venv.join("bin/python"),
        Err(why) => panic!("{why}"),
    }
}
