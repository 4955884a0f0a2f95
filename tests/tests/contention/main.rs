//! The tests that load the whole stack, kill part of it, or measure how fast it answers. Each
//! needs the machine to itself: on 2 cores, a burst that must outrun the rate limit, or a flood
//! of 7,000 event types, slows every other test's stack calls, and a lateness measurement taken
//! beside them measures the neighbours. So this binary has a stack of its own (cargo runs test
//! binaries one after another, so never beside `e2e`'s), and its tests take turns ([`alone`]),
//! whatever `--test-threads` says.
//!
//! | module | what it proves |
//! |---|---|
//! | `rate_limit` | a burst of 200 is cut at the limit while another tenant is served; several processes admit within 10 % and lease rarely |
//! | `stream_flood` | 7,000 distinct types from one tenant never stall another tenant's counts |
//! | `delivery` | a thousand posts under racing dispatchers arrive once; a killed deliverer loses nothing; posts arrive within 5 s |
//!
//! Run with `cargo test --workspace --test contention`.

// libtest runs one test at a time here in name order, so `stream_flood` comes last on purpose:
// its 7,000 domain events outrun the stack's tap of the bus (moto's SQS receive slows with the
// queue's length), and for minutes afterwards every SQS and EventBridge call of the stack is
// slow. The delivery tests before it need those calls; the rate-limit tests do not.
mod delivery;
mod rate_limit;
mod stream_flood;

/// Held for the whole of each test here, so that no two of them ever share the stack. (tokio's
/// lock works across the tests' runtimes.)
pub async fn alone() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}
