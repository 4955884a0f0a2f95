//! Starts the local stack (`ofauto-local`) once per test binary and waits until it is ready.
//!
//! The stack is a plain child process held in a `OnceLock`, so it does not belong to any tokio
//! runtime: every `#[tokio::test]` has its own runtime, and each builds its own HTTP client.
//! The child's stdin stays open for the life of the test process; the stack is started with
//! `--exit-on-stdin-eof`, so it (and DynamoDB Local and moto under it) dies with the tests, even
//! when the test process is killed.

use std::fs;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::tokens::Minter;

/// DynamoDB Local runs on a JVM and moto on Python: a cold start on a busy 2-core box is slow.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
const READY_PREFIX: &str = "OFAUTO_READY ";
/// The gateway's header read timeout in the test stack (`--header-timeout-secs`): its default.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The gateway's body timeout in the test stack (`--body-timeout-secs`): shorter than the 30 s
/// default so that the slow-body test is quick, still far above what any other test needs.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The deliverer's lease in the test stack (`OFAUTO_DELIVERY_LEASE_SECONDS`).
pub const DELIVERY_LEASE: Duration = Duration::from_secs(60);

/// What the stack announces on its ready line.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    pub api: String,
    pub dynamodb: String,
    pub moto: String,
    pub state_dir: PathBuf,
    pub table: String,
    /// Function name to the URL of its dead-letter queue (on moto); for an `sqs` function, its
    /// queue's dead-letter queue.
    #[serde(default)]
    pub dead_letter_queues: std::collections::BTreeMap<String, String>,
    /// The control listener (loopback): `POST /invoke/{function}`, `POST /kill/{function}`,
    /// `GET /domain-events`.
    pub control: String,
    /// The delivery queue's URL (on moto).
    pub delivery_queue: String,
    /// The custom bus domain events are published on.
    #[serde(default)]
    pub event_bus: String,
    /// Manifest queue name to its URL.
    #[serde(default)]
    pub queues: std::collections::BTreeMap<String, String>,
}

pub struct Stack {
    pub endpoints: Endpoints,
    /// The stack's stderr, which also carries the functions' logs.
    pub log_path: PathBuf,
    pub tokens: Minter,
    // Held, never used: dropping them would close stdin (stopping the stack) or orphan it.
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

impl Stack {
    /// Base URL of the API, without a trailing slash.
    pub fn api_url(&self) -> &str {
        self.endpoints.api.trim_end_matches('/')
    }

    /// The last lines of the stack's log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path, 80)
    }
}

static STACK: OnceLock<Result<Stack, String>> = OnceLock::new();
/// The schedule tick of this binary's stack (`--tick-seconds`); 60 s, as on AWS, unless set.
static TICK_SECONDS: OnceLock<f64> = OnceLock::new();

/// For a test binary that drives the dispatcher only by hand (`control::tick_at`): its stack's
/// own tick comes once a day, so no tick at the real clock reaches what the tests staged in the
/// past. Call it before anything starts the stack; later calls change nothing.
pub fn without_automatic_ticks() {
    let _ = TICK_SECONDS.set(86_400.0);
}

/// The stack for this test binary, started on first use. If it cannot start, every test fails
/// fast with the same message (including the log tail) instead of each waiting for its own.
pub fn stack() -> &'static Stack {
    match STACK.get_or_init(start) {
        Ok(stack) => stack,
        Err(why) => panic!("{why}"),
    }
}

/// The Cargo workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the workspace")
        .to_path_buf()
}

/// Where the stack binary and the function binaries live: `OFAUTO_BIN_DIR`, else
/// `$CARGO_TARGET_DIR/debug`, else `<workspace>/target/debug`.
pub fn bin_dir() -> PathBuf {
    let root = workspace_root();
    if let Some(dir) = std::env::var_os("OFAUTO_BIN_DIR").filter(|v| !v.is_empty()) {
        return absolute(&root, PathBuf::from(dir));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .map(|dir| absolute(&root, PathBuf::from(dir)))
        .unwrap_or_else(|| root.join("target"));
    target.join("debug")
}

fn absolute(base: &Path, path: PathBuf) -> PathBuf {
    if path.is_absolute() {
        path
    } else {
        base.join(path)
    }
}

/// Function names from `functions/manifest.json`, to check their binaries were built. A manifest
/// that does not load names none: the stack itself then says what is wrong with it.
fn manifest_function_names(root: &Path) -> Vec<String> {
    ofauto_routes::Manifest::load(&root.join("functions/manifest.json"))
        .map(|manifest| manifest.functions.into_iter().map(|f| f.name).collect())
        .unwrap_or_default()
}

fn start() -> Result<Stack, String> {
    let root = workspace_root();
    let bin_dir = bin_dir();
    let exe = bin_dir.join(format!("ofauto-local{}", std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        return Err(format!(
            "the local stack binary {} does not exist; build the workspace first \
             (`cargo build --workspace --bins`), or point OFAUTO_BIN_DIR at the binaries",
            exe.display()
        ));
    }
    let missing: Vec<String> = manifest_function_names(&root)
        .into_iter()
        .filter(|name| {
            !bin_dir
                .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
                .is_file()
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "function binaries missing from {}: {}; build the workspace first \
             (`cargo build --workspace --bins`)",
            bin_dir.display(),
            missing.join(", ")
        ));
    }

    prune_old_runs();
    let run_dir = std::env::temp_dir().join(format!(
        "ofauto-tests-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    ));
    let state_dir = run_dir.join("state");
    fs::create_dir_all(&state_dir)
        .map_err(|e| format!("cannot create {}: {e}", state_dir.display()))?;
    let log_path = run_dir.join("stack.log");
    let log = fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;

    let mut child = Command::new(&exe)
        .arg("--port")
        .arg("0")
        .arg("--state-dir")
        .arg(&state_dir)
        .arg("--bin-dir")
        .arg(&bin_dir)
        .arg("--exit-on-stdin-eof")
        // More processes per function than the default 4, so bursts reach the rate limit even
        // though each debug-build invocation waits on DynamoDB Local.
        .arg("--max-concurrency")
        .arg("8")
        .arg("--header-timeout-secs")
        .arg(HEADER_TIMEOUT.as_secs().to_string())
        .arg("--body-timeout-secs")
        .arg(BODY_TIMEOUT.as_secs().to_string())
        .arg("--tick-seconds")
        .arg(TICK_SECONDS.get().copied().unwrap_or(60.0).to_string())
        // The stack's tiers plus `burst`, whose small window a 200-request burst overruns however
        // slowly this machine serves it, so the rate-limit test never depends on throughput.
        .env("RATE_LIMIT_TIERS", crate::tokens::TEST_TIERS)
        // A claimed post whose deliverer died is claimable again after this lease; 60 s rather
        // than the 120 s default keeps the crash-recovery test short, and still outlasts a slow
        // delivery on a loaded machine many times over.
        .env(
            "OFAUTO_DELIVERY_LEASE_SECONDS",
            DELIVERY_LEASE.as_secs().to_string(),
        )
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");

    // Read stdout on a thread: report the ready line, then keep draining so the stack never
    // blocks on a full pipe.
    let (ready_tx, ready_rx) = mpsc::channel::<Result<String, String>>();
    std::thread::Builder::new()
        .name("ofauto-local-stdout".into())
        .spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(json) = line.trim().strip_prefix(READY_PREFIX) {
                        sent = true;
                        let _ = ready_tx.send(Ok(json.to_owned()));
                    }
                }
            }
            if !sent {
                let _ = ready_tx.send(Err("its stdout closed before the ready line".into()));
            }
        })
        .map_err(|e| format!("cannot spawn a reader thread: {e}"))?;

    let fail = |child: &mut Child, why: String| -> String {
        let _ = child.kill();
        let _ = child.wait();
        format!(
            "the local stack did not become ready: {why}\nlog: {}\n--- last lines of the log ---\n{}",
            log_path.display(),
            log_tail(&log_path, 80)
        )
    };

    let started = Instant::now();
    let ready_json = loop {
        match ready_rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(json)) => break json,
            Ok(Err(why)) => return Err(fail(&mut child, why)),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(fail(&mut child, "its stdout reader stopped".into()))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(fail(&mut child, format!("it exited early with {status}")));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(fail(
                &mut child,
                format!("no `{READY_PREFIX}` line within {READY_TIMEOUT:?}"),
            ));
        }
    };

    let endpoints: Endpoints = match serde_json::from_str(&ready_json) {
        Ok(endpoints) => endpoints,
        Err(e) => {
            return Err(fail(
                &mut child,
                format!("its ready line is not the expected JSON ({e}): {ready_json}"),
            ))
        }
    };
    let tokens = match Minter::load(&endpoints.state_dir) {
        Ok(tokens) => tokens,
        Err(e) => return Err(fail(&mut child, e)),
    };
    eprintln!(
        "ofauto-tests: local stack ready at {} in {:.1?} (log: {})",
        endpoints.api,
        started.elapsed(),
        log_path.display()
    );
    Ok(Stack {
        endpoints,
        log_path,
        tokens,
        _child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    })
}

/// Each run leaves its state dir and log behind for post-mortems; runs older than a day go.
fn prune_old_runs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let day = Duration::from_secs(24 * 3600);
    for entry in entries.flatten() {
        let old_enough = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        let ours = entry
            .file_name()
            .to_string_lossy()
            .starts_with("ofauto-tests-");
        if ours && old_enough && entry.path().is_dir() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The last `lines` lines of a log file (reading at most its last 64 KiB).
pub fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return format!("(cannot open {})", path.display());
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(64 * 1024);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
