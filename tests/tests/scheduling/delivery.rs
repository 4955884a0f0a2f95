//! Delivery: what schedulers get wrong (duplicates after retries, posts lost or stuck, posts
//! sent late) does not happen here. Each test drives the real dispatcher and deliverer binaries
//! through the stack: the dispatcher by its scheduled event, the deliverer by its SQS queue. The
//! tests that load the deliverer (a thousand posts), kill it, or measure how late posts arrive
//! need the stack to themselves: they are in the `contention` binary.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use ofauto_tests::control;
use ofauto_tests::dynamo;
use ofauto_tests::fixtures::{poll, Tenant};
use ofauto_tests::receiver::{receiver, Step};
use serde_json::{json, Value};
use shared::domain::{PostId, TenantId};
use shared::staging::Key;

use super::{
    create_post, create_posts, get_post, in_seconds, rfc3339, sleep_until, str_of, wait_for_status,
    TestChannel,
};

/// SQS may hand a message out twice (a visibility timeout that ran out under load, say). A claim
/// makes one attempt: a copy of its message, arriving while the attempt is on the wire, sends
/// nothing and counts no attempt.
#[tokio::test]
async fn a_copy_of_a_claims_message_sends_nothing() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::new(&tenant, vec![Step::ok().hang(6.0)], Step::ok()).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(1.0))).await;
    let id = str_of(&post, "id");
    let first = channel.endpoint.wait_for(1, Duration::from_secs(60)).await;
    assert_eq!(first.len(), 1, "the attempt is on the wire");
    let tenant_id = TenantId::parse(&tenant.id).expect("tenant id");
    let post_id = PostId::parse(id).expect("post id");
    let stored = dynamo::get_item(Key::Post {
        tenant: &tenant_id,
        id: post_id,
    })
    .await;
    let claim = stored["claim"]["S"].as_str().expect("the post is claimed");
    let copy = control::sqs_event(&shared::DeliveryMessage::post(&tenant_id, post_id, claim));
    let answer = control::invoke("deliverer", &copy)
        .await
        .expect("deliverer");
    let post = wait_for_status(&editor, id, "published", Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        channel.endpoint.deliveries().await.len(),
        1,
        "the copy sent nothing: {answer}"
    );
    assert_eq!(post["attempts"], 1, "{post}");
}

/// Cancels racing the dispatcher's claim: each post is either cancelled and never delivered, or
/// delivered and its cancel refused with 409. Never both, never neither.
#[tokio::test]
async fn cancels_racing_the_dispatcher_are_all_or_nothing() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let due = in_seconds(90.0);
    let posts = create_posts(&editor, &channel.id, due, 200).await;
    sleep_until(due - chrono::TimeDelta::seconds(68)).await;

    let tick = rfc3339(chrono::Utc::now());
    let ticking = tokio::spawn(async move { control::ticks_at(&tick, 2).await });
    let cancels: Vec<(String, u16, Value)> = stream::iter(posts.iter())
        .map(|p| {
            let editor = &editor;
            async move {
                let id = str_of(p, "id").to_owned();
                let resp = editor.delete(&format!("/v1/posts/{id}")).await;
                (id, resp.status, resp.json())
            }
        })
        // In order: each answer is checked against its own post below.
        .buffered(32)
        .collect()
        .await;
    ticking.await.expect("the ticks ran");

    // Every refused cancel's post must arrive. On a loaded machine a batch can wait on a slow
    // bus, so wait for them (up to 90 s past due) rather than a fixed 20 s; then a little more,
    // so that a cancelled post delivered late would still show.
    let refused: BTreeSet<String> = cancels
        .iter()
        .zip(&posts)
        .filter(|((_, status, _), _)| *status == 409)
        .map(|(_, post)| str_of(post, "webhook_id").to_owned())
        .collect();
    sleep_until(due + chrono::TimeDelta::seconds(20)).await;
    poll(
        Duration::from_secs(70),
        || channel.endpoint.deliveries(),
        |d: &Vec<ofauto_tests::receiver::Delivery>| {
            let seen: BTreeSet<&str> = d.iter().map(|d| d.webhook_id.as_str()).collect();
            refused.iter().all(|w| seen.contains(w.as_str()))
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let delivered: BTreeSet<String> = channel
        .endpoint
        .deliveries()
        .await
        .into_iter()
        .map(|d| d.webhook_id)
        .collect();
    let (mut cancelled, mut sent) = (0, 0);
    for ((id, status, body), post) in cancels.iter().zip(&posts) {
        let now = get_post(&editor, id).await;
        let webhook = str_of(post, "webhook_id");
        match status {
            200 => {
                cancelled += 1;
                assert_eq!(body["status"], "cancelled", "{body}");
                assert_eq!(now["status"], "cancelled", "{now}");
                assert!(
                    !delivered.contains(webhook),
                    "cancelled yet delivered: {id}"
                );
            }
            409 => {
                sent += 1;
                assert!(
                    body["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("publishing") || d.contains("published")),
                    "409 names the current status: {body}"
                );
                assert!(
                    delivered.contains(webhook),
                    "cancel refused yet not delivered: {id}"
                );
                assert_eq!(now["status"], "published", "{now}");
            }
            other => panic!("cancel of {id} answered {other}: {body}"),
        }
    }
    eprintln!("cancel race: {cancelled} cancelled, {sent} delivered");
    assert_eq!(cancelled + sent, 200);
}

/// 500, 500, then 200: published after three attempts, 5 s and then 60 s apart (±10 % jitter,
/// plus the stack's own latency), each attempt on record with its status code and latency.
#[tokio::test]
async fn server_errors_are_retried_on_the_schedule_until_delivered() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::new(
        &tenant,
        vec![Step::status(500), Step::status(500)],
        Step::ok(),
    )
    .await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(2.0))).await;
    let id = str_of(&post, "id");
    let post = wait_for_status(&editor, id, "published", Duration::from_secs(120)).await;
    assert_eq!(post["attempts"], 3, "{post}");
    let deliveries = channel.endpoint.deliveries().await;
    assert_eq!(deliveries.len(), 3, "{deliveries:?}");
    let gap1 = deliveries[1].received_at - deliveries[0].received_at;
    let gap2 = deliveries[2].received_at - deliveries[1].received_at;
    assert!(
        (4.4..=8.0).contains(&gap1),
        "attempt 2 about 5 s after 1: {gap1:.2} s"
    );
    assert!(
        (53.9..=70.0).contains(&gap2),
        "attempt 3 about 60 s after 2: {gap2:.2} s"
    );
    assert!(deliveries
        .iter()
        .all(|d| d.webhook_id == deliveries[0].webhook_id));
    assert!(deliveries.iter().all(|d| !d.verified_by.is_empty()));

    let attempts = editor
        .get(&format!("/v1/posts/{id}/attempts"))
        .await
        .ok_json(200);
    let items = attempts["items"].as_array().expect("items");
    let codes: Vec<u64> = items
        .iter()
        .map(|a| a["status_code"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(codes, [500, 500, 200], "{attempts}");
    for (i, a) in items.iter().enumerate() {
        assert_eq!(a["n"], i + 1, "{a}");
        assert!(a["latency_ms"].is_u64(), "{a}");
        assert!(a["at"].is_string(), "{a}");
    }
    assert!(
        items[0]["error"].is_string() && items[2]["error"].is_null(),
        "{attempts}"
    );
}

/// `Retry-After: 2` replaces the 5 s step.
#[tokio::test]
async fn retry_after_is_honoured() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::new(
        &tenant,
        vec![Step::status(429).retry_after("2")],
        Step::ok(),
    )
    .await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(1.0))).await;
    wait_for_status(
        &editor,
        str_of(&post, "id"),
        "published",
        Duration::from_secs(60),
    )
    .await;
    let d = channel.endpoint.deliveries().await;
    assert_eq!(d.len(), 2, "{d:?}");
    let gap = d[1].received_at - d[0].received_at;
    assert!(
        (1.9..=4.5).contains(&gap),
        "retried after Retry-After's 2 s: {gap:.2} s"
    );
}

/// Five retryable answers use up the attempts: the post fails after attempt 5.
#[tokio::test]
async fn a_post_fails_after_its_fifth_attempt_and_a_retry_gets_five_more() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::new(&tenant, vec![], Step::status(503).retry_after("1")).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(1.0))).await;
    let id = str_of(&post, "id").to_owned();
    let post = wait_for_status(&editor, &id, "failed", Duration::from_secs(90)).await;
    assert_eq!(post["attempts"], 5, "{post}");
    assert!(
        post["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{post}"
    );
    assert_eq!(channel.endpoint.deliveries().await.len(), 5);

    // A manual retry is a new series of five attempts, not one last try; numbers go on.
    editor
        .post_json(&format!("/v1/posts/{id}/retry"), &json!({}))
        .await
        .ok_json(200);
    let post = poll(
        Duration::from_secs(90),
        || get_post(&editor, &id),
        |p| p["status"] == "failed" && p["attempts"] == 10,
    )
    .await;
    assert_eq!(post["attempts"], 10, "{post}");
    let attempts = editor
        .get_query(&format!("/v1/posts/{id}/attempts"), &[("limit", "100")])
        .await
        .ok_json(200);
    let numbers: Vec<u64> = attempts["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["n"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<u64>>(), "{attempts}");
}

/// 410 Gone fails the post and disables the channel at once, with `channel.disabled` and
/// `post.failed` on the bus.
#[tokio::test]
async fn gone_fails_the_post_and_disables_the_channel() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::new(&tenant, vec![], Step::status(410)).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(1.0))).await;
    let id = str_of(&post, "id");
    let post = wait_for_status(&editor, id, "failed", Duration::from_secs(60)).await;
    assert_eq!(post["attempts"], 1, "{post}");
    let ch = tenant
        .bulk("viewer")
        .get(&format!("/v1/channels/{}", channel.id))
        .await
        .ok_json(200);
    assert_eq!(ch["status"], "disabled", "{ch}");
    assert_eq!(ch["disabled_reason"], "gone", "{ch}");
    let events = poll(
        Duration::from_secs(20),
        control::domain_events,
        |events: &Vec<Value>| {
            has_event(events, "channel.disabled", &tenant.id, &channel.id)
                && has_event(events, "post.failed", &tenant.id, id)
        },
    )
    .await;
    assert!(has_event(
        &events,
        "channel.disabled",
        &tenant.id,
        &channel.id
    ));
    assert!(has_event(&events, "post.failed", &tenant.id, id));
}

/// Any other 4xx is a permanent failure: one attempt, no retry.
#[tokio::test]
async fn a_client_error_fails_the_post_without_retrying() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::new(&tenant, vec![], Step::status(404)).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(1.0))).await;
    let post = wait_for_status(
        &editor,
        str_of(&post, "id"),
        "failed",
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(post["attempts"], 1, "{post}");
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(
        channel.endpoint.deliveries().await.len(),
        1,
        "never retried"
    );
}

/// A redirect is not followed: it is a failed attempt (retried), and the target never hears of it.
#[tokio::test]
async fn redirects_are_failures_and_never_followed() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let elsewhere = receiver().endpoint(&format!("{}-elsewhere", tenant.id));
    elsewhere.configure(&[], vec![], Step::ok()).await;
    let channel = TestChannel::new(
        &tenant,
        vec![Step::status(302).redirect_to(&elsewhere.url())],
        Step::ok(),
    )
    .await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(1.0))).await;
    let id = str_of(&post, "id");
    let post = wait_for_status(&editor, id, "published", Duration::from_secs(60)).await;
    assert_eq!(post["attempts"], 2, "{post}");
    let attempts = editor
        .get(&format!("/v1/posts/{id}/attempts"))
        .await
        .ok_json(200);
    assert_eq!(attempts["items"][0]["status_code"], 302, "{attempts}");
    assert!(attempts["items"][0]["error"].is_string(), "{attempts}");
    assert!(
        elsewhere.deliveries().await.is_empty(),
        "the redirect was followed"
    );
}

/// During a rotation every delivery carries two signatures, and each secret verifies it on its
/// own; the test message too.
#[tokio::test]
async fn during_a_rotation_both_secrets_verify_every_delivery() {
    let tenant = Tenant::new();
    let admin = tenant.bulk("admin");
    let channel = TestChannel::ok(&tenant).await;
    let rotated = admin
        .post_json(
            &format!("/v1/channels/{}/rotate-secret", channel.id),
            &json!({}),
        )
        .await
        .ok_json(200);
    let new_secret = str_of(&rotated, "signing_secret").to_owned();
    assert_ne!(new_secret, channel.secret);
    assert!(new_secret.starts_with("whsec_"));
    channel
        .endpoint
        .configure(&[channel.secret.clone(), new_secret], vec![], Step::ok())
        .await;

    let test = admin
        .post_json(&format!("/v1/channels/{}/test", channel.id), &json!({}))
        .await
        .ok_json(200);
    assert_eq!(test["delivered"], true, "{test}");
    let post = create_post(&tenant.bulk("editor"), &channel.id, Some(in_seconds(1.0))).await;
    wait_for_status(
        &admin,
        str_of(&post, "id"),
        "published",
        Duration::from_secs(60),
    )
    .await;
    let deliveries = channel.endpoint.deliveries().await;
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    for d in &deliveries {
        assert_eq!(d.signatures.len(), 2, "two signatures: {d:?}");
        assert_eq!(d.verified_by, [0, 1], "both secrets verify: {d:?}");
    }
    assert_eq!(deliveries[0].body["type"], "channel.test");
    assert_eq!(deliveries[1].body["type"], "post.publish");
    assert_eq!(deliveries[1].body["data"]["id"], post["id"]);
}

/// A post found more than an hour after `scheduled_at` is failed as `missed`, never sent late.
#[tokio::test]
async fn a_post_more_than_an_hour_late_is_missed_never_sent() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(600.0))).await;
    let id = str_of(&post, "id");
    // As if the stack had been down for two hours: the post's time is long past.
    let late = rfc3339(in_seconds(-7200.0));
    let tenant_id = TenantId::parse(&tenant.id).expect("tenant id");
    let post_id = PostId::parse(id).expect("post id");
    dynamo::set_strings(
        Key::Post {
            tenant: &tenant_id,
            id: post_id,
        },
        &[
            ("scheduled_at", &late),
            ("next_attempt_at", &late),
            ("due_at", &late),
        ],
    )
    .await;
    control::tick_at(&rfc3339(chrono::Utc::now())).await;
    let post = wait_for_status(&editor, id, "failed", Duration::from_secs(30)).await;
    assert_eq!(post["last_error"], "missed", "{post}");
    assert_eq!(post["attempts"], 0, "{post}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        channel.endpoint.deliveries().await.is_empty(),
        "a missed post is never sent"
    );
}

/// A channel that has failed for longer than the limit (5 days) is disabled by its next
/// failure; a success first clears `failing_since`.
#[tokio::test]
async fn a_channel_failing_for_five_days_is_disabled_and_a_success_resets_it() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let viewer = tenant.bulk("viewer");
    let tenant_id = TenantId::parse(&tenant.id).expect("tenant id");

    let healing = TestChannel::ok(&tenant).await;
    let key = Key::Channel {
        tenant: &tenant_id,
        id: shared::domain::ChannelId::parse(&healing.id).expect("channel id"),
    };
    dynamo::set_strings(key, &[("failing_since", &rfc3339(in_seconds(-86_400.0)))]).await;
    let post = create_post(&editor, &healing.id, Some(in_seconds(1.0))).await;
    wait_for_status(
        &editor,
        str_of(&post, "id"),
        "published",
        Duration::from_secs(60),
    )
    .await;
    let ch = viewer
        .get(&format!("/v1/channels/{}", healing.id))
        .await
        .ok_json(200);
    assert!(
        ch["failing_since"].is_null(),
        "a 2xx resets failing_since: {ch}"
    );

    let failing = TestChannel::new(&tenant, vec![], Step::status(500)).await;
    let key = Key::Channel {
        tenant: &tenant_id,
        id: shared::domain::ChannelId::parse(&failing.id).expect("channel id"),
    };
    dynamo::set_strings(
        key,
        &[("failing_since", &rfc3339(in_seconds(-6.0 * 86_400.0)))],
    )
    .await;
    create_post(&editor, &failing.id, Some(in_seconds(1.0))).await;
    // Up to 150 s: should the crash test kill the deliverer mid-delivery, the post's claim
    // lease (60 s) runs out and the next tick delivers it again.
    let ch = poll(
        Duration::from_secs(150),
        || async {
            viewer
                .get(&format!("/v1/channels/{}", failing.id))
                .await
                .ok_json(200)
        },
        |c: &Value| c["status"] == "disabled",
    )
    .await;
    assert_eq!(ch["disabled_reason"], "failing", "{ch}");
    let events = poll(
        Duration::from_secs(20),
        control::domain_events,
        |e: &Vec<Value>| has_event(e, "channel.disabled", &tenant.id, &failing.id),
    )
    .await;
    assert!(has_event(
        &events,
        "channel.disabled",
        &tenant.id,
        &failing.id
    ));
}

/// A disabled channel receives nothing: its due posts fail with `channel disabled`. Re-enabling
/// it (PATCH `status: active`) clears the reason.
#[tokio::test]
async fn a_disabled_channel_receives_nothing_until_re_enabled() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let admin = tenant.bulk("admin");
    let channel = TestChannel::new(&tenant, vec![Step::status(410)], Step::ok()).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(25.0))).await;
    // The test message meets the 410 and disables the channel before the post is due.
    let test = admin
        .post_json(&format!("/v1/channels/{}/test", channel.id), &json!({}))
        .await
        .ok_json(200);
    assert_eq!(test["delivered"], false, "{test}");
    assert_eq!(test["status_code"], 410, "{test}");
    let post = wait_for_status(
        &editor,
        str_of(&post, "id"),
        "failed",
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(post["last_error"], "channel disabled", "{post}");
    assert_eq!(
        channel.endpoint.deliveries().await.len(),
        1,
        "only the test message"
    );
    let refused = editor
        .post_json(
            "/v1/posts",
            &json!({"channel_id": channel.id, "content": "x"}),
        )
        .await;
    refused.validation_failed(&["channel_id"]);

    let enabled = admin
        .send(
            reqwest::Method::PATCH,
            admin.url(&format!("/v1/channels/{}", channel.id)),
            Some((br#"{"status":"active"}"#.to_vec(), "application/json")),
            &[],
        )
        .await
        .ok_json(200);
    assert_eq!(enabled["status"], "active", "{enabled}");
    assert!(enabled["disabled_reason"].is_null() && enabled["failing_since"].is_null());
}

/// Deleting a channel fails its scheduled posts at once, with `channel deleted`.
#[tokio::test]
async fn deleting_a_channel_fails_its_scheduled_posts() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let scheduled = create_post(&editor, &channel.id, Some(in_seconds(3600.0))).await;
    let draft = create_post(&editor, &channel.id, None).await;
    tenant
        .bulk("admin")
        .delete(&format!("/v1/channels/{}", channel.id))
        .await
        .expect_status(204);
    let post = get_post(&editor, str_of(&scheduled, "id")).await;
    assert_eq!(post["status"], "failed", "{post}");
    assert_eq!(post["last_error"], "channel deleted", "{post}");
    assert_eq!(
        get_post(&editor, str_of(&draft, "id")).await["status"],
        "draft"
    );
}

/// `POST …/retry` sends a failed post again with the same `webhook-id`.
#[tokio::test]
async fn a_manual_retry_resends_with_the_same_webhook_id() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::new(&tenant, vec![Step::status(400)], Step::ok()).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(1.0))).await;
    let id = str_of(&post, "id");
    wait_for_status(&editor, id, "failed", Duration::from_secs(60)).await;
    let retried = editor
        .post_json(&format!("/v1/posts/{id}/retry"), &json!({}))
        .await
        .ok_json(200);
    assert_eq!(retried["webhook_id"], post["webhook_id"], "{retried}");
    let post = wait_for_status(&editor, id, "published", Duration::from_secs(60)).await;
    assert_eq!(post["attempts"], 2, "{post}");
    let d = channel.endpoint.deliveries().await;
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].webhook_id, d[1].webhook_id);
    let events = poll(
        Duration::from_secs(20),
        control::domain_events,
        |e: &Vec<Value>| has_event(e, "post.published", &tenant.id, id),
    )
    .await;
    assert!(has_event(&events, "post.published", &tenant.id, id));
}

/// `event.created` reaches the bus for a new event, from the stream consumer.
#[tokio::test]
async fn a_new_event_is_announced_on_the_bus() {
    let tenant = Tenant::new();
    let event = ofauto_tests::fixtures::create_event(
        &tenant.bulk("editor"),
        &json!({"type": "user.signup", "properties": {"plan": "pro"}}),
    )
    .await;
    let id = str_of(&event, "id");
    let events = poll(
        Duration::from_secs(30),
        control::domain_events,
        |e: &Vec<Value>| has_event(e, "event.created", &tenant.id, id),
    )
    .await;
    let found = events
        .iter()
        .find(|e| e["detail-type"] == "event.created" && e["detail"]["id"] == id)
        .unwrap_or_else(|| panic!("event.created for {id}"));
    assert_eq!(found["source"], "ofauto");
    assert_eq!(found["detail"]["tenant_id"], tenant.id.as_str());
    assert_eq!(found["detail"]["type"], "user.signup");
}

/// Whether the bus carried `detail_type` for the resource `id` of `tenant`.
fn has_event(events: &[Value], detail_type: &str, tenant: &str, id: &str) -> bool {
    events.iter().any(|e| {
        e["detail-type"] == detail_type
            && e["detail"]["tenant_id"] == tenant
            && e["detail"]["id"] == id
    })
}
