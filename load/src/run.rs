//! What every virtual user shares during a run: the tenants, the request budget, and (for the
//! stress profile) the recent samples that its sliding window judges. Goose transactions are plain
//! functions, so this lives in a process-wide cell set once before the attack starts.

use crate::tokens::Tenant;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

pub struct Run {
    pub tenants: Vec<Tenant>,
    /// Per tenant, the channel its posts and automations target (ofauto profile only).
    pub channels: Vec<String>,
    /// The hard cap on requests sent, whatever the time bound says.
    pub budget: u64,
    pub sent: AtomicU64,
    pub budget_hit: AtomicBool,
    /// The most users started so far (goose starts them in index order).
    pub users_started: AtomicUsize,
    /// Every request's outcome, newest last; only the stress profile keeps them.
    pub samples: Option<Mutex<VecDeque<Sample>>>,
}

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: Instant,
    pub micros: u64,
    pub ok: bool,
}

static RUN: OnceLock<Run> = OnceLock::new();

impl Run {
    pub fn new(tenants: Vec<Tenant>, channels: Vec<String>, budget: u64, keep: bool) -> Self {
        Run {
            tenants,
            channels,
            budget,
            sent: AtomicU64::new(0),
            budget_hit: AtomicBool::new(false),
            users_started: AtomicUsize::new(0),
            samples: keep.then(|| Mutex::new(VecDeque::new())),
        }
    }

    /// Claims one request from the budget; false once it is spent, and then the run is stopped.
    pub fn take_one(&self) -> bool {
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        if n < self.budget {
            return true;
        }
        if !self.budget_hit.swap(true, Ordering::Relaxed) {
            goose::trigger_killswitch(&format!("request budget of {} spent", self.budget));
        }
        false
    }

    pub fn record(&self, sample: Sample) {
        if let Some(samples) = &self.samples {
            samples
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_back(sample);
        }
    }

    pub fn user_started(&self, index: usize) {
        self.users_started.fetch_max(index + 1, Ordering::Relaxed);
    }
}

pub fn install(run: Run) {
    if RUN.set(run).is_err() {
        panic!("the run state is installed once");
    }
}

pub fn get() -> &'static Run {
    RUN.get()
        .expect("the run state is installed before the attack")
}
