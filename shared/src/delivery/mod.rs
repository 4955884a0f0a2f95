//! The deliverer: what happens to each message of the delivery queue (DESIGN.md, "The
//! schedule", step 5).
//!
//! One module per job: reading a message (`message`), what an attempt's outcome means
//! (`plan`), delivering one post (`deliverer`), one attempt of an automation run's action
//! (`run`), a whole SQS batch (`batch`), and the batch's metrics (`metrics`, which the
//! dispatcher uses too).

mod batch;
mod deliverer;
mod message;
pub(crate) mod metrics;
mod plan;
mod run;

pub use deliverer::{Deliverer, DelivererParts};
