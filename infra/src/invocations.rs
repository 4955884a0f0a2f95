//! What a function's pool and its workers share: the invocations waiting for a process, the count
//! of processes alive and busy, and how an invocation fails.
//!
//! [`crate::pool`] fills the queue and decides when to start a process; [`crate::worker`] runs one
//! process and takes invocations from the queue. Both depend on this module, neither on the other
//! for the queue.

use axum::body::Bytes;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};

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

struct QueueState {
    queue: VecDeque<Invocation>,
    /// Processes alive or starting.
    live: usize,
    /// Processes that hold an invocation.
    busy: usize,
}

/// One function's waiting invocations and its processes' bookkeeping.
pub(crate) struct InvocationQueue {
    state: Mutex<QueueState>,
    work: Notify,
    drained: Notify,
}

impl InvocationQueue {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(QueueState {
                queue: VecDeque::new(),
                live: 0,
                busy: 0,
            }),
            work: Notify::new(),
            drained: Notify::new(),
        }
    }

    pub(crate) fn push(&self, inv: Invocation) {
        self.lock().queue.push_back(inv);
        self.work.notify_waiters();
    }

    /// Counts in, and returns how many, the processes to start so that no more invocations wait
    /// than there are idle processes, within `cap` processes.
    pub(crate) fn reserve_processes(&self, cap: usize) -> usize {
        let mut st = self.lock();
        let mut started = 0;
        while st.queue.len() > st.live - st.busy && st.live < cap {
            st.live += 1;
            started += 1;
        }
        started
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

    /// Counts a process out; the last one out wakes [`Self::stopped`].
    pub(crate) fn process_exited(&self) {
        let live = {
            let mut st = self.lock();
            st.live -= 1;
            st.live
        };
        if live == 0 {
            self.drained.notify_waiters();
        }
    }

    /// Resolves once no process is alive.
    pub(crate) async fn stopped(&self) {
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

    pub(crate) fn fail_all_queued(&self) {
        let queued: Vec<Invocation> = self.lock().queue.drain(..).collect();
        for inv in queued {
            let _ = inv.reply.send(Err(InvokeError::Shutdown));
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
