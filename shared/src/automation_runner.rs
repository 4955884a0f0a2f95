//! Automations on the schedule path (DESIGN.md, "The schedule"): which occurrences a dispatcher
//! claim runs or skips (`occurrences`), starting an attempt of a run's action exactly once
//! (`store`), how a run ends and the domain event it makes (`finish`), and matching new events
//! against event triggers from the table's stream (`stream`). The deliverer executes the
//! actions (`delivery::run`); the dispatcher claims occurrences (`dispatch::automations`).
//!
//! Exactly once rests on the run item: it is written with a condition that it does not exist
//! before anything acts on it, and each attempt of its action starts with a conditional write on
//! the run, so a second dispatcher, a redelivered stream batch or a duplicated queue message
//! finds the run taken and does nothing.

mod finish;
mod occurrences;
mod store;
mod stream;

pub use finish::{run_event, RunEnd};
pub use occurrences::{
    look_ahead, plan_occurrences, OccurrencePlan, MAX_EXPIRED_COUNTED, MAX_EXPIRED_RECORDED,
    MAX_PER_CLAIM,
};
pub use store::{RunAttempt, RunAttempts};
pub use stream::{EventTriggers, TriggerSummary};
