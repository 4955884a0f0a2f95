//! The fast path onto the delivery queue. The dispatcher ticks once a minute and looks
//! `LOOKAHEAD` ahead, so a post put on the due index with less than that to go might be found
//! only after it is due. Whoever puts it there (posts-create, -update, -retry) hands it over
//! at once instead: the same conditional claim the dispatcher makes, then the message, delayed
//! until the post is due.

use std::time::Duration;

use chrono::TimeDelta;

use crate::delivery_queue::{DeliveryMessage, DeliveryQueue};
use crate::domain::post::{Post, PostStatus};
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::repo::{DueEntry, PostsRepository};

/// How far ahead the dispatcher looks: a tick interval (60 s) plus slack for a late tick.
pub const LOOKAHEAD: Duration = Duration::from_secs(70);

/// Whether something due at `due_at` must be handed over now rather than left to the next tick.
pub fn is_soon(due_at: Timestamp, now: Timestamp) -> bool {
    due_at < now.plus(TimeDelta::from_std(LOOKAHEAD).unwrap_or(TimeDelta::MAX))
}

/// The time left until `at`, for the message's delay; zero when it is already due.
pub fn delay_until(at: Timestamp, now: Timestamp) -> Duration {
    Duration::from_millis(at.millis().saturating_sub(now.millis()))
}

/// Claims `post` and enqueues it when it is `scheduled` and due within `LOOKAHEAD`; `post` is
/// the post as this caller just wrote it (its `scheduled_at` is its next attempt). Returns the
/// post as claimed (`publishing`) when it was handed over.
///
/// Never fails the caller: the post is already safely on the due index. A lost claim means the
/// dispatcher got there first; a storage error or a failed send after the claim is logged, and
/// the lease's expiry puts the post back in the dispatcher's view.
pub async fn hand_over_if_soon(
    posts: &PostsRepository,
    queue: &DeliveryQueue,
    tenant: &TenantId,
    post: &Post,
    now: Timestamp,
    lease: Duration,
) -> Option<Post> {
    let due_at = match (post.status, post.scheduled_at) {
        (PostStatus::Scheduled, Some(at)) if is_soon(at, now) => at,
        _ => return None,
    };
    let entry = DueEntry::for_post(tenant, post.id, due_at);
    let claimed = match posts.claim(&entry, now, lease).await {
        Ok(Some(claimed)) => claimed,
        Ok(None) => return None,
        Err(error) => {
            tracing::warn!(post = %post.id, error = %error, "fast-path claim failed; the dispatcher will find the post");
            return None;
        }
    };
    let message = DeliveryMessage::post(tenant, post.id, &claimed.claim);
    let delay = delay_until(claimed.next_attempt_at, now);
    if let Err(error) = queue.send(&message, delay).await {
        tracing::error!(post = %post.id, error = %error, "fast-path enqueue failed; the post is recovered when its lease expires");
    }
    Some(claimed.post)
}

/// What a route needs for the fast path, built once at cold start: the queue and the lease
/// (`Config::delivery_lease`).
#[derive(Debug, Clone)]
pub struct Handover {
    pub queue: DeliveryQueue,
    pub lease: Duration,
}

impl Handover {
    pub fn new(queue: DeliveryQueue, lease: Duration) -> Self {
        Self { queue, lease }
    }

    /// [`hand_over_if_soon`] with this queue and lease. The route still answers with the post
    /// as it wrote it (`scheduled`, as API.md says a post with `scheduled_at` is): the claim is
    /// the schedule's next step, not part of the client's change.
    pub async fn hand_over(
        &self,
        posts: &PostsRepository,
        tenant: &TenantId,
        post: &Post,
        now: Timestamp,
    ) {
        hand_over_if_soon(posts, &self.queue, tenant, post, now, self.lease).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soon_is_within_the_look_ahead() {
        let now = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
        assert!(is_soon(now, now));
        assert!(is_soon(now.plus(TimeDelta::seconds(69)), now));
        assert!(!is_soon(now.plus(TimeDelta::seconds(70)), now));
        assert!(is_soon(now.plus(TimeDelta::seconds(-30)), now));
    }

    #[test]
    fn delays_count_down_to_the_due_time() {
        let now = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
        assert_eq!(
            delay_until(now.plus(TimeDelta::milliseconds(4_500)), now),
            Duration::from_millis(4_500)
        );
        assert_eq!(
            delay_until(now.plus(TimeDelta::seconds(-5)), now),
            Duration::ZERO
        );
    }
}
