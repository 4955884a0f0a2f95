//! Child process bookkeeping: no child may outlive the stack, however the stack ends.
//!
//! Three layers, because each covers a case the others miss: `kill_on_drop` for children whose
//! owner unwinds, the registry's `kill_all` at shutdown for any that are still running, and the
//! kernel's parent-death signal for when the stack itself is SIGKILLed and runs no code at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::process::Command;

#[derive(Clone, Default)]
pub struct ProcessRegistry {
    live: Arc<Mutex<HashMap<u32, String>>>,
}

impl ProcessRegistry {
    pub fn track(&self, pid: u32, label: impl Into<String>) {
        self.lock().insert(pid, label.into());
    }

    /// Called once the child is reaped, so a recycled pid is never signalled.
    pub fn untrack(&self, pid: u32) {
        self.lock().remove(&pid);
    }

    /// SIGKILLs every child still tracked; returns their labels.
    pub fn kill_all(&self) -> Vec<String> {
        let live: Vec<(u32, String)> = self.lock().drain().collect();
        for (pid, _) in &live {
            kill(*pid);
        }
        live.into_iter().map(|(_, label)| label).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, String>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub fn kill(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Prepares `cmd` so the child never outlives the stack: killed with it, even by SIGKILL.
///
/// The parent-death signal fires when the spawning *thread* exits; tokio's worker threads live as
/// long as the runtime, which is as long as the stack.
pub fn bind_to_parent(cmd: &mut Command) {
    cmd.kill_on_drop(true);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe calls
    // (prctl, getppid) without allocating.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the stack exited while spawning"));
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn kill_all_kills_tracked_children() {
        let registry = ProcessRegistry::default();
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        bind_to_parent(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        registry.track(child.id().unwrap(), "sleep");
        assert_eq!(registry.kill_all(), vec!["sleep".to_string()]);
        let status = tokio::time::timeout(std::time::Duration::from_secs(5), child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(!status.success());
        assert!(registry.kill_all().is_empty());
    }
}
