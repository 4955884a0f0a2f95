//! Per-function pools of real function processes, with Lambda's concurrency model: a process
//! handles one invocation at a time, invocations queue per function, and a new process is started
//! only when an invocation waits and no process is free, up to the function's cap.

use crate::function_env::FunctionEnv;
use crate::invocations::{Invocation, InvocationQueue};
use crate::process::ProcessRegistry;
use crate::worker::{self, ProcessSpec};
use axum::body::Bytes;
use ofauto_routes::Manifest;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

pub use crate::invocations::InvokeError;

pub struct FunctionPool {
    spec: ProcessSpec,
    cap: usize,
    queue: InvocationQueue,
    ordinal: AtomicU64,
}

impl FunctionPool {
    pub async fn invoke(self: &Arc<Self>, payload: Bytes) -> Result<Bytes, InvokeError> {
        if *self.spec.shutdown.borrow() {
            return Err(InvokeError::Shutdown);
        }
        let (reply, rx) = oneshot::channel();
        self.queue.push(Invocation {
            request_id: crate::ids::uuid_v4(),
            payload,
            reply,
        });
        self.scale();
        rx.await.unwrap_or(Err(InvokeError::Shutdown))
    }

    /// Starts processes while invocations outnumber the processes that could take them.
    fn scale(self: &Arc<Self>) {
        if *self.spec.shutdown.borrow() {
            return;
        }
        for _ in 0..self.queue.reserve_processes(self.cap) {
            let ordinal = self.ordinal.fetch_add(1, Ordering::Relaxed) + 1;
            let pool = self.clone();
            tokio::spawn(async move {
                worker::run(&pool.spec, &pool.queue, ordinal).await;
                pool.worker_exited();
            });
        }
    }

    /// Replaces the process on demand if work is still waiting.
    fn worker_exited(self: &Arc<Self>) {
        self.queue.process_exited();
        self.scale();
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
                    spec: ProcessSpec {
                        def: def.clone(),
                        bin: cfg.bin_dir.join(&def.name),
                        env: env.clone(),
                        registry: cfg.registry.clone(),
                        processes: ProcessRegistry::default(),
                        shutdown: cfg.shutdown.clone(),
                    },
                    cap,
                    queue: InvocationQueue::new(),
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

    /// How many processes `function` may run at once.
    pub fn max_concurrency(&self, function: &str) -> Option<usize> {
        self.pools.get(function).map(|p| p.cap)
    }

    /// SIGKILLs every running process of `function`, as a crash would; returns how many. Their
    /// invocations fail as crashed ones do on Lambda, and the pool starts new processes for the
    /// next invocations. `None` for an unknown function.
    pub fn kill(&self, function: &str) -> Option<usize> {
        let pool = self.pools.get(function)?;
        let killed = pool.spec.processes.kill_all();
        if !killed.is_empty() {
            tracing::warn!(%function, processes = ?killed, "killed on request");
        }
        Some(killed.len())
    }

    /// Functions whose binary is not built, worth a warning at startup rather than a 500 later.
    pub fn missing_binaries(&self) -> Vec<String> {
        let mut missing: Vec<String> = self
            .pools
            .values()
            .filter(|p| !p.spec.bin.is_file())
            .map(|p| p.spec.bin.display().to_string())
            .collect();
        missing.sort();
        missing
    }

    /// Waits (up to `grace`) for every process to be stopped after shutdown was signalled.
    pub async fn stop(&self, grace: Duration) {
        for pool in self.pools.values() {
            pool.queue.fail_all_queued();
        }
        let all = futures::future::join_all(self.pools.values().map(|p| p.queue.stopped()));
        let _ = tokio::time::timeout(grace, all).await;
    }
}
