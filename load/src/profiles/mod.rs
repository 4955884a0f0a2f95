//! The load profiles: what each virtual user does, and the thresholds it is held to.

pub mod event_service;
pub mod ofauto;
pub mod stress;

use std::time::Duration;

/// A think time range scaled by `--think-scale`.
pub fn think(min_ms: u64, max_ms: u64, scale: f64) -> (Duration, Duration) {
    let at = |ms: u64| Duration::from_millis((ms as f64 * scale).round() as u64);
    (at(min_ms), at(max_ms))
}
