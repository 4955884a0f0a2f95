//! Per-function pools of real function processes, with Lambda's concurrency model: a process
//! handles one invocation at a time, invocations queue per function, and a new process is started
//! only when an invocation waits and no process is free, up to the function's cap.

use crate::function_env::FunctionEnv;
use crate::manifest::{FunctionDef, Manifest};
use crate::process::ProcessRegistry;
use axum::body::Bytes;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{oneshot, watch, Notify};

#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    #[error("no function named {0}")]
    UnknownFunction(String),
    #[error("function error ({error_type}): {body}")]
    Function { error_type: String, body: String },
    #[error("task timed out after {0:?}")]
    Timeout(Duration),
    #[error("runtime exited with error: {0}")]
    Crashed(String),
    #[error("init failed: {0}")]
    Init(String),
    #[error("cannot start the function process: {0}")]
    Spawn(String),
    #[error("the local stack is shutting down")]
    Shutdown,
}

pub(crate) struct Invocation {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    pub(crate) reply: oneshot::Sender<Result<Bytes, InvokeError>>,
}

struct PoolState {
    queue: VecDeque<Invocation>,
    /// Processes alive or starting.
    live: usize,
    /// Processes that hold an invocation.
    busy: usize,
}

pub struct FunctionPool {
    pub(crate) def: FunctionDef,
    pub(crate) bin: PathBuf,
    pub(crate) env: Arc<FunctionEnv>,
    pub(crate) registry: ProcessRegistry,
    pub(crate) shutdown: watch::Receiver<bool>,
    cap: usize,
    state: Mutex<PoolState>,
    work: Notify,
    drained: Notify,
    ordinal: AtomicU64,
}

impl FunctionPool {
    pub async fn invoke(self: &Arc<Self>, payload: Bytes) -> Result<Bytes, InvokeError> {
        if *self.shutdown.borrow() {
            return Err(InvokeError::Shutdown);
        }
        let (reply, rx) = oneshot::channel();
        self.lock().queue.push_back(Invocation {
            request_id: crate::ids::uuid_v4(),
            payload,
            reply,
        });
        self.work.notify_waiters();
        self.scale();
        rx.await.unwrap_or(Err(InvokeError::Shutdown))
    }

    /// Starts processes while invocations outnumber the processes that could take them.
    fn scale(self: &Arc<Self>) {
        if *self.shutdown.borrow() {
            return;
        }
        let mut st = self.lock();
        while st.queue.len() > st.live - st.busy && st.live < self.cap {
            st.live += 1;
            let ordinal = self.ordinal.fetch_add(1, Ordering::Relaxed) + 1;
            tokio::spawn(crate::worker::run(self.clone(), ordinal));
        }
    }

    /// Waits for the next queued invocation. Cancel-safe: nothing is taken unless it returns.
    pub(crate) async fn take(&self) -> Invocation {
        loop {
            let notified = self.work.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = self.lock();
                if let Some(inv) = st.queue.pop_front() {
                    st.busy += 1;
                    return inv;
                }
            }
            notified.await;
        }
    }

    /// Puts back an invocation the process never received, ahead of everything else.
    pub(crate) fn requeue(&self, inv: Invocation) {
        {
            let mut st = self.lock();
            st.busy -= 1;
            st.queue.push_front(inv);
        }
        self.work.notify_waiters();
    }

    pub(crate) fn finished(&self) {
        self.lock().busy -= 1;
    }

    /// A process that dies during init takes the cold start's invocation down with it, as on
    /// Lambda; without this a broken binary would leave its callers waiting forever.
    pub(crate) fn fail_one_queued(&self, err: InvokeError) {
        let inv = self.lock().queue.pop_front();
        if let Some(inv) = inv {
            let _ = inv.reply.send(Err(err));
        }
    }

    /// Replaces the process on demand if work is still waiting.
    pub(crate) fn worker_exited(self: &Arc<Self>) {
        let live = {
            let mut st = self.lock();
            st.live -= 1;
            st.live
        };
        if live == 0 {
            self.drained.notify_waiters();
        }
        self.scale();
    }

    async fn stopped(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().live == 0 {
                return;
            }
            notified.await;
        }
    }

    fn fail_all_queued(&self) {
        let queued: Vec<Invocation> = self.lock().queue.drain(..).collect();
        for inv in queued {
            let _ = inv.reply.send(Err(InvokeError::Shutdown));
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct PoolConfig {
    pub bin_dir: PathBuf,
    pub default_max_concurrency: usize,
    pub env: FunctionEnv,
    pub registry: ProcessRegistry,
    pub shutdown: watch::Receiver<bool>,
}

/// Every function's pool, by name.
pub struct Pools {
    pools: HashMap<String, Arc<FunctionPool>>,
}

impl Pools {
    pub fn new(manifest: &Manifest, cfg: PoolConfig) -> Self {
        let env = Arc::new(cfg.env);
        let pools = manifest
            .functions
            .iter()
            .map(|def| {
                let cap = def
                    .local_max_concurrency
                    .unwrap_or(cfg.default_max_concurrency)
                    .max(1);
                let pool = FunctionPool {
                    def: def.clone(),
                    bin: cfg.bin_dir.join(&def.name),
                    env: env.clone(),
                    registry: cfg.registry.clone(),
                    shutdown: cfg.shutdown.clone(),
                    cap,
                    state: Mutex::new(PoolState {
                        queue: VecDeque::new(),
                        live: 0,
                        busy: 0,
                    }),
                    work: Notify::new(),
                    drained: Notify::new(),
                    ordinal: AtomicU64::new(0),
                };
                (def.name.clone(), Arc::new(pool))
            })
            .collect();
        Self { pools }
    }

    /// Invokes `function` synchronously (RequestResponse) and returns its raw response payload.
    pub async fn invoke(&self, function: &str, payload: Bytes) -> Result<Bytes, InvokeError> {
        match self.pools.get(function) {
            Some(pool) => pool.invoke(payload).await,
            None => Err(InvokeError::UnknownFunction(function.to_string())),
        }
    }

    /// Functions whose binary is not built, worth a warning at startup rather than a 500 later.
    pub fn missing_binaries(&self) -> Vec<String> {
        let mut missing: Vec<String> = self
            .pools
            .values()
            .filter(|p| !p.bin.is_file())
            .map(|p| p.bin.display().to_string())
            .collect();
        missing.sort();
        missing
    }

    /// Waits (up to `grace`) for every process to be stopped after shutdown was signalled.
    pub async fn stop(&self, grace: Duration) {
        for pool in self.pools.values() {
            pool.fail_all_queued();
        }
        let all = futures::future::join_all(self.pools.values().map(|p| p.stopped()));
        let _ = tokio::time::timeout(grace, all).await;
    }
}
