//! Channels, posts and their delivery, through the local stack: the API over HTTP, the
//! dispatcher driven by its scheduled event (`control::tick_at`), and a local receiver that
//! verifies every delivery with the PyPI `standardwebhooks` verifier.
//!
//! | module | what it proves |
//! |---|---|
//! | `channels` | channel CRUD, the secret shown once, rotation with two signatures, the test message, health |
//! | `posts` | post CRUD, the state machine (409 with the current status), list order and filters |
//! | `validation` | every field rule: a 400 naming the field, and nothing written |
//! | `delivery` | cancel races, a copied claim, retries and their schedule, missed posts, channel health (the tests that load, kill or time the deliverer are in the `contention` binary) |
//! | `isolation` | other tenants' ids, cursors and channels; secrets in no answer and no log line |

use serde_json::Value;

pub use ofauto_tests::posts::*;

mod channels;
mod delivery;
mod isolation;
mod posts;
mod validation;

/// The fields of a channel, exactly (no secret).
pub const CHANNEL_FIELDS: [&str; 9] = [
    "created_at",
    "disabled_reason",
    "failing_since",
    "id",
    "kind",
    "name",
    "status",
    "updated_at",
    "url",
];

#[track_caller]
pub fn assert_channel_shape(channel: &Value) {
    let mut keys: Vec<&str> = channel
        .as_object()
        .unwrap_or_else(|| panic!("a channel is an object: {channel}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, CHANNEL_FIELDS, "the fields of {channel}");
}
