//! Delivery under load and failure, each with the stack to itself: a thousand posts under four
//! racing dispatchers arrive exactly once, a deliverer killed mid-batch loses nothing, and posts
//! arrive within 5 s of their time (p99).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ofauto_tests::control;
use ofauto_tests::fixtures::{poll, Tenant};
use ofauto_tests::posts::{
    create_post, create_posts, get_post, in_seconds, list_every, parse_time, percentile, rfc3339,
    sleep_until, str_of, wait_for_status, TestChannel,
};
use ofauto_tests::receiver::Step;
use serde_json::Value;

use crate::alone;

fn webhook_ids(posts: &[Value]) -> BTreeSet<String> {
    posts
        .iter()
        .map(|p| str_of(p, "webhook_id").to_owned())
        .collect()
}

/// A thousand posts due in the same minute and four dispatchers racing on the same tick (with
/// the stack's own ticker running too): every post is delivered once, and only once.
#[tokio::test]
async fn a_thousand_posts_under_four_racing_dispatchers_are_each_delivered_exactly_once() {
    let _alone = alone().await;
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    // Beyond the dispatcher's 70 s look-ahead when created, so no post takes the fast path.
    let due = in_seconds(95.0);
    let posts = create_posts(&editor, &channel.id, due, 1000).await;
    assert!(
        posts.iter().all(|p| p["status"] == "scheduled"),
        "all scheduled on creation"
    );
    // Within the look-ahead: four dispatchers on one tick, all at once.
    sleep_until(due - chrono::TimeDelta::seconds(65)).await;
    let tick = rfc3339(chrono::Utc::now());
    let results = control::ticks_at(&tick, 4).await;
    assert_eq!(results.len(), 4, "four dispatcher invocations answered");

    channel
        .endpoint
        .wait_for(1000, Duration::from_secs(420))
        .await;
    // A straggler duplicate would arrive after the thousandth: give it the time to.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let deliveries = channel.endpoint.deliveries().await;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for d in &deliveries {
        *seen.entry(d.webhook_id.clone()).or_default() += 1;
        assert!(!d.verified_by.is_empty(), "every delivery verifies: {d:?}");
    }
    let duplicates: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "delivered more than once: {duplicates:?}"
    );
    assert_eq!(
        seen.keys().cloned().collect::<BTreeSet<_>>(),
        webhook_ids(&posts),
        "each post's webhook-id arrived"
    );
    let listed = list_every(&tenant.bulk("viewer"), "/v1/posts", &[("limit", "100")]).await;
    assert_eq!(listed.len(), 1000);
    for post in &listed {
        assert_eq!(post["status"], "published", "{post}");
        assert_eq!(post["attempts"], 1, "{post}");
    }
}

/// A deliverer killed while its batch is on the wire loses nothing: once the claim's lease
/// expires the post is claimed again and delivered, with the same `webhook-id`.
#[tokio::test]
async fn a_deliverer_killed_mid_batch_loses_nothing() {
    let _alone = alone().await;
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    // The first request is held long enough for the test to kill the process sending it.
    let channel = TestChannel::new(&tenant, vec![Step::ok().hang(20.0)], Step::ok()).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(3.0))).await;
    let id = str_of(&post, "id");
    let first = channel.endpoint.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(first[0].webhook_id, str_of(&post, "webhook_id"));
    let killed = control::kill("deliverer").await;
    assert!(killed >= 1, "a deliverer process was running");
    assert_eq!(get_post(&editor, id).await["status"], "publishing");

    // The stack's ticker would find it within a minute of the lease's end; tick along anyway.
    let deliveries = poll(
        Duration::from_secs(150),
        || async {
            control::tick_at(&rfc3339(chrono::Utc::now())).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
            channel.endpoint.deliveries().await
        },
        |d| d.len() >= 2,
    )
    .await;
    assert!(deliveries.len() >= 2, "delivered again after the crash");
    assert!(
        deliveries
            .iter()
            .all(|d| d.webhook_id == first[0].webhook_id),
        "the same webhook-id on every delivery: {deliveries:?}"
    );
    let post = wait_for_status(&editor, id, "published", Duration::from_secs(30)).await;
    assert!(post["attempts"].as_u64().unwrap_or(0) >= 1, "{post}");
}

/// Posts due at random seconds over the next three minutes, with the stack ticking every 60 s:
/// each arrives within 5 s of `scheduled_at` (p99), not merely within its minute.
#[tokio::test]
async fn posts_arrive_within_five_seconds_of_their_time() {
    let _alone = alone().await;
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let mut offsets: Vec<f64> = (0..40).map(|i| 5.0 + (i as f64) * 4.37 % 175.0).collect();
    offsets.extend((0..20).map(|_| 5.0 + rand_fraction() * 175.0));
    let mut posts = Vec::new();
    for offset in &offsets {
        posts.push(create_post(&editor, &channel.id, Some(in_seconds(*offset))).await);
    }
    let deliveries = channel
        .endpoint
        .wait_for(posts.len(), Duration::from_secs(260))
        .await;
    let due: BTreeMap<String, chrono::DateTime<chrono::Utc>> = posts
        .iter()
        .map(|p| {
            (
                str_of(p, "webhook_id").to_owned(),
                parse_time(&p["scheduled_at"]),
            )
        })
        .collect();
    let lateness: Vec<f64> = deliveries
        .iter()
        .map(|d| d.received_at - due[&d.webhook_id].timestamp_millis() as f64 / 1000.0)
        .collect();
    let (p50, p99) = (percentile(&lateness, 50.0), percentile(&lateness, 99.0));
    eprintln!(
        "lateness over {} posts: p50 {p50:.3} s, p99 {p99:.3} s",
        lateness.len()
    );
    assert!(p99 <= 5.0, "p99 lateness {p99:.3} s: {lateness:?}");
    assert!(
        lateness.iter().all(|l| *l >= -0.5),
        "nothing is sent early: {lateness:?}"
    );
}

fn rand_fraction() -> f64 {
    (ulid::Ulid::new().random() % 1_000_000) as f64 / 1_000_000.0
}
