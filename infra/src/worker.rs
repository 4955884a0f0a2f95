//! One function process for its whole life: start it, feed it invocations through its own
//! Runtime API, enforce the timeout, and report each invocation like Lambda does.

use crate::function_env::FunctionEnv;
use crate::invocations::{InvocationQueue, InvokeError};
use crate::logs;
use crate::process::ProcessRegistry;
use crate::report::{self, Report};
use crate::runtime_api::{ApiEvent, NextInvocation, Outcome, RuntimeApi};
use ofauto_routes::FunctionDef;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};

/// Lambda's limit on the init phase of an on-demand function.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start a process of one function.
pub(crate) struct ProcessSpec {
    pub(crate) def: FunctionDef,
    pub(crate) bin: PathBuf,
    pub(crate) env: Arc<FunctionEnv>,
    pub(crate) registry: ProcessRegistry,
    /// This function's processes only, so that they can be killed on purpose (crash tests).
    pub(crate) processes: ProcessRegistry,
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// Why a process stopped.
enum Exit {
    /// It never asked for work: the invocation that caused the cold start fails with this.
    BeforeReady(InvokeError),
    /// It crashed, timed out or posted an init error after having served.
    Gone,
    Shutdown,
}

struct Process {
    child: Child,
    pid: u32,
    api: RuntimeApi,
    events: mpsc::Receiver<ApiEvent>,
    spawned: Instant,
    prefix: String,
}

/// Runs one process of `spec` until it exits, serving invocations from `queue`. The caller counts
/// the process out of the queue afterwards.
pub(crate) async fn run(spec: &ProcessSpec, queue: &InvocationQueue, ordinal: u64) {
    let prefix = format!("[{}#{}] ", spec.def.name, ordinal);
    let mut shutdown = spec.shutdown.clone();
    let exit = match Process::start(spec, prefix).await {
        Ok(mut process) => {
            let exit = process.serve(spec, queue, &mut shutdown).await;
            process.stop(spec).await;
            exit
        }
        Err(e) => {
            tracing::error!(function = %spec.def.name, "{e}");
            Exit::BeforeReady(e)
        }
    };
    if let Exit::BeforeReady(err) = exit {
        queue.fail_one_queued(err);
    }
}

impl Process {
    async fn start(spec: &ProcessSpec, prefix: String) -> Result<Self, InvokeError> {
        let (api, events) = RuntimeApi::bind()
            .await
            .map_err(|e| InvokeError::Spawn(format!("cannot bind a Runtime API port: {e}")))?;
        let log_stream = format!(
            "{}/[$LATEST]{}",
            chrono::Utc::now().format("%Y/%m/%d"),
            crate::ids::random_hex(16)
        );
        let mut cmd = Command::new(&spec.bin);
        cmd.env_clear()
            .envs(spec.env.for_process(&spec.def, api.addr, &log_stream))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        crate::process::bind_to_parent(&mut cmd);
        let mut child = cmd
            .spawn()
            .map_err(|e| InvokeError::Spawn(format!("{}: {e}", spec.bin.display())))?;
        let pid = child.id().unwrap_or_default();
        spec.registry.track(pid, prefix.trim().to_string());
        spec.processes.track(pid, prefix.trim().to_string());
        if let Some(out) = child.stdout.take() {
            logs::forward(out, prefix.clone());
        }
        if let Some(err) = child.stderr.take() {
            logs::forward(err, prefix.clone());
        }
        Ok(Self {
            child,
            pid,
            api,
            events,
            spawned: Instant::now(),
            prefix,
        })
    }

    async fn serve(
        &mut self,
        spec: &ProcessSpec,
        queue: &InvocationQueue,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Exit {
        let mut init: Option<Duration> = None;
        let mut served_any = false;
        loop {
            let next_tx = tokio::select! {
                ev = self.events.recv() => match ev {
                    Some(ApiEvent::Next(tx)) => tx,
                    Some(ApiEvent::InitError { error_type, body }) => {
                        let body = String::from_utf8_lossy(&body);
                        logs::emit(&self.prefix, &format!("INIT_REPORT Status: error\tError Type: {error_type}\t{body}"));
                        let err = InvokeError::Init(format!("{error_type}: {body}"));
                        return if served_any { Exit::Gone } else { Exit::BeforeReady(err) };
                    }
                    None => return Exit::Gone,
                },
                status = self.child.wait() => {
                    let status = describe(status);
                    logs::emit(&self.prefix, &format!("process exited while idle: {status}"));
                    return if served_any || init.is_some() {
                        Exit::Gone
                    } else {
                        Exit::BeforeReady(InvokeError::Init(format!("process exited during init: {status}")))
                    };
                }
                _ = tokio::time::sleep(INIT_TIMEOUT), if init.is_none() => {
                    logs::emit(&self.prefix, &format!("INIT_REPORT Status: timeout\tno `next` call within {INIT_TIMEOUT:?}"));
                    return Exit::BeforeReady(InvokeError::Init("init timed out".into()));
                }
                _ = stopping(shutdown) => return Exit::Shutdown,
            };
            if init.is_none() {
                init = Some(self.spawned.elapsed());
            }

            let inv = tokio::select! {
                inv = queue.take() => inv,
                status = self.child.wait() => {
                    logs::emit(&self.prefix, &format!("process exited while idle: {}", describe(status)));
                    return Exit::Gone;
                }
                _ = stopping(shutdown) => return Exit::Shutdown,
            };

            let timeout = Duration::from_secs(spec.def.timeout_s);
            let started = Instant::now();
            let now = chrono::Utc::now();
            let done = self.api.expect(&inv.request_id);
            let handed = next_tx.send(NextInvocation {
                request_id: inv.request_id.clone(),
                payload: inv.payload.clone(),
                deadline_epoch_ms: now.timestamp_millis() + timeout.as_millis() as i64,
                function_arn: crate::function_env::function_arn(&spec.def.name),
                trace_id: crate::ids::xray_trace_id(now.timestamp()),
            });
            if handed.is_err() {
                // The process stopped polling before it got the invocation: someone else runs it.
                self.api.clear();
                queue.requeue(inv);
                continue;
            }

            let (result, status, exit) = tokio::select! {
                outcome = done => match outcome {
                    Ok(Outcome::Success(body)) => (Ok(body), None, None),
                    // A handled function error completes normally as far as Lambda's REPORT goes.
                    Ok(Outcome::Failure { error_type, body }) => (
                        Err(InvokeError::Function { error_type, body: String::from_utf8_lossy(&body).into_owned() }),
                        None,
                        None,
                    ),
                    Err(_) => (Err(InvokeError::Crashed("invocation abandoned".into())), Some("error"), Some(Exit::Gone)),
                },
                status = self.child.wait() => {
                    let status = describe(status);
                    logs::emit(&self.prefix, &format!("RequestId: {} Error: Runtime exited with error: {status}", inv.request_id));
                    logs::emit(&self.prefix, "Runtime.ExitError");
                    (Err(InvokeError::Crashed(status)), Some("error"), Some(Exit::Gone))
                }
                _ = tokio::time::sleep(timeout) => {
                    logs::emit(&self.prefix, &format!(
                        "{} {} Task timed out after {:.2} seconds",
                        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        inv.request_id,
                        started.elapsed().as_secs_f64()
                    ));
                    (Err(InvokeError::Timeout(timeout)), Some("timeout"), Some(Exit::Gone))
                }
                _ = stopping(shutdown) => (Err(InvokeError::Shutdown), None, Some(Exit::Shutdown)),
            };
            let duration = started.elapsed();
            if !matches!(exit, Some(Exit::Shutdown)) {
                let max_memory_mb = report::max_memory_mb(self.pid);
                let line = Report {
                    request_id: &inv.request_id,
                    function: &spec.def.name,
                    duration,
                    memory_mb: spec.def.memory_mb,
                    max_memory_mb,
                    init: (!served_any).then_some(init).flatten(),
                    status,
                }
                .line();
                logs::emit(&self.prefix, &line);
            }
            served_any = true;
            self.api.clear();
            queue.finished();
            let _ = inv.reply.send(result);
            if let Some(exit) = exit {
                return exit;
            }
        }
    }

    /// Kills and reaps the process; a timed-out one is killed here too.
    async fn stop(&mut self, spec: &ProcessSpec) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        spec.registry.untrack(self.pid);
        spec.processes.untrack(self.pid);
    }
}

fn describe(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(s) => s.to_string(),
        Err(e) => format!("unknown ({e})"),
    }
}

/// Resolves once shutdown has been signalled (or its sender is gone).
pub(crate) async fn stopping(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}
