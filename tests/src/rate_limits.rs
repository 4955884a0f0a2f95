//! The test stack's rate-limit tiers (`ofauto-local`'s defaults) and the `RateLimit-*` headers
//! as the rate-limit tests in `e2e` and `contention` read them.

use std::time::Duration;

use crate::api::Resp;

/// The local stack's standard tier: `standard=50/100/100000`, a 2 s window admitting 100.
pub const STANDARD_BURST: u64 = 100;
pub const STANDARD_WINDOW_SECS: u64 = 2;
/// The noisy tenant's tier (`burst=10/20/…` in the test stack): a 2 s window admitting 20, so a
/// burst of 200 overruns it whatever the machine's speed.
pub const NOISY_BURST: u64 = 20;
/// The `bulk` tier's burst.
pub const BULK_BURST: u64 = 10_000;

/// A `RateLimit-*` or `Retry-After` header as a whole number; panics, showing the answer, when
/// it is missing or is not one.
#[track_caller]
pub fn header_u64(resp: &Resp, name: &str) -> u64 {
    resp.header(name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} is a whole number on:\n{resp}"))
}

/// `RateLimit-*` as a tier with `burst` would send them.
#[track_caller]
pub fn assert_rate_headers(resp: &Resp, burst: u64) {
    assert_eq!(header_u64(resp, "ratelimit-limit"), burst, "{resp}");
    let remaining = header_u64(resp, "ratelimit-remaining");
    assert!(remaining < burst, "remaining counts this request:\n{resp}");
    // Both local tiers have 2 s windows (burst / rate).
    let reset = header_u64(resp, "ratelimit-reset");
    assert!(
        (1..=STANDARD_WINDOW_SECS).contains(&reset),
        "reset within the window:\n{resp}"
    );
}

/// Sleeps until just after a window boundary, so a burst starts with a whole window ahead.
pub async fn align_to_window_start() {
    let now = chrono::Utc::now();
    let millis = now.timestamp_millis() as u64;
    let window = STANDARD_WINDOW_SECS * 1000;
    let wait = window - millis % window + 30;
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

/// The standard window that `t` falls in, numbered from the epoch.
pub fn window_of(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp() / STANDARD_WINDOW_SECS as i64
}
