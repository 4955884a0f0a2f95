//! Runs: each occurrence once however many dispatchers race, catch-up after an outage with
//! every occurrence that did not run on record as `skipped`, event triggers exactly once under
//! redelivery, and failures that pause an automation.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use ofauto_tests::fixtures::{create_event, poll, Tenant};
use ofauto_tests::receiver::Step;
use ofauto_tests::{control, dynamo};
use serde_json::{json, Value};
use shared::domain::{AutomationId, EventId, RunId, TenantId, Timestamp};
use shared::staging::Key;
use shared::DeliveryMessage;

use super::{
    at, create, fired, post_action, rfc3339, runs, schedule, scripted_channel, sink_channel,
    stage_next_run, str_of, tick, wait_for_runs,
};

/// Two hours of silence, then one tick five minutes past the last occurrence: `latest` runs
/// the newest once and skips the other twelve, `all` runs all thirteen oldest first, `none`
/// skips all thirteen. Nothing is missed without a trace.
#[tokio::test]
async fn catch_up_after_two_silent_hours_follows_the_policy() {
    super::quiet();
    let _turn = super::time_travel().await;
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = sink_channel(&tenant).await;
    let expected: Vec<String> = (0..13)
        .map(|i| rfc3339(at("2026-06-01T10:00:00Z") + chrono::TimeDelta::minutes(10 * i)))
        .collect();
    let mut ids = Vec::new();
    for policy in ["latest", "all", "none"] {
        let automation = create(
            &editor,
            &json!({
                "name": format!("catch-up {policy}"),
                "trigger": schedule("*/10 * * * *", "UTC"),
                "action": post_action(&channel),
                "catchup": policy,
            }),
        )
        .await;
        let id = str_of(&automation, "id").to_owned();
        stage_next_run(&tenant, &id, "2026-06-01T10:00:00Z").await;
        ids.push((policy, id));
    }
    tick("2026-06-01T12:05:30Z").await;
    let mut seen = Vec::new();
    for (policy, id) in &ids {
        let runs = super::wait_for_runs_or_timeout(&editor, id, 13).await;
        let automation = editor
            .get(&format!("/v1/automations/{id}"))
            .await
            .ok_json(200);
        seen.push((*policy, runs, automation));
    }
    // Cleaned up before the verdict, so that a failure here cannot spill into the next test.
    let staged: Vec<String> = ids.iter().map(|(_, id)| id.clone()).collect();
    super::forget(&editor, &staged).await;
    for (policy, runs, automation) in seen {
        assert_eq!(
            runs.len(),
            13,
            "{policy}: one run per occurrence: {runs:#?}"
        );
        let (ran, skipped) = (fired(&runs, "succeeded"), fired(&runs, "skipped"));
        match policy {
            "latest" => {
                assert_eq!(ran, expected[12..], "{policy}");
                assert_eq!(skipped, expected[..12], "{policy}");
            }
            "all" => {
                assert_eq!(ran, expected, "{policy}");
                assert!(skipped.is_empty(), "{policy}");
            }
            _ => {
                assert!(ran.is_empty(), "{policy}");
                assert_eq!(skipped, expected, "{policy}");
            }
        }
        assert_eq!(
            automation["next_run_at"],
            rfc3339(at("2026-06-01T12:10:00Z")),
            "{policy}: the next occurrence after the tick: {automation}"
        );
    }
}

/// A day and a half of silence: the occurrences more than 24 h old are never run but each is on
/// record as `skipped`, saying why; those within the day follow the policy (`latest`); the
/// current one runs. Every one of the 37 hourly occurrences has exactly one run.
#[tokio::test]
async fn an_outage_longer_than_a_day_leaves_every_occurrence_on_record() {
    super::quiet();
    let _turn = super::time_travel().await;
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = sink_channel(&tenant).await;
    let automation = create(
        &editor,
        &json!({
            "name": "long outage",
            "trigger": schedule("0 * * * *", "UTC"),
            "action": post_action(&channel),
        }),
    )
    .await;
    let id = str_of(&automation, "id").to_owned();
    stage_next_run(&tenant, &id, "2026-06-01T00:00:00Z").await;
    // The window starts at 06-01 12:00:30: 00:00 … 12:00 (13) are past it, 13:00 … 06-02
    // 11:00 (23) were missed within it, 06-02 12:00 is on time.
    tick("2026-06-02T12:00:30Z").await;
    let runs = super::wait_for_runs_or_timeout(&editor, &id, 37).await;
    super::forget(&editor, std::slice::from_ref(&id)).await;
    let hourly = |from: &str, n: i64| -> Vec<String> {
        (0..n)
            .map(|i| rfc3339(at(from) + chrono::TimeDelta::hours(i)))
            .collect()
    };
    assert_eq!(runs.len(), 37, "one run per occurrence: {runs:#?}");
    assert_eq!(fired(&runs, "succeeded"), hourly("2026-06-02T12:00:00Z", 1));
    let skipped_because = |needle: &str| -> Vec<String> {
        let mut found: Vec<String> = runs
            .iter()
            .filter(|run| run["status"] == "skipped")
            .filter(|run| run["error"].as_str().is_some_and(|e| e.contains(needle)))
            .map(|run| rfc3339(at(str_of(run, "scheduled_for"))))
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        skipped_because("past the catch-up window"),
        hourly("2026-06-01T00:00:00Z", 13),
        "older than a day: skipped, and said so"
    );
    assert_eq!(
        skipped_because("catch-up \"latest\""),
        hourly("2026-06-01T13:00:00Z", 23),
        "missed within the day: skipped by the policy, and said so"
    );
}

/// Four dispatchers on the same tick over 500 due automations: each occurrence runs once.
#[tokio::test]
async fn racing_dispatchers_run_each_occurrence_once() {
    super::quiet();
    let _turn = super::time_travel().await;
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = sink_channel(&tenant).await;
    let ids: Vec<String> = stream::iter(0..500)
        .map(|i| {
            let editor = &editor;
            let channel = &channel;
            async move {
                let body = json!({
                    "name": format!("race {i}"),
                    "trigger": schedule("0 12 * * *", "UTC"),
                    "action": post_action(channel),
                });
                str_of(&create(editor, &body).await, "id").to_owned()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    stream::iter(ids.iter())
        .for_each_concurrent(16, |id| stage_next_run(&tenant, id, "2026-05-31T12:00:00Z"))
        .await;
    control::ticks_at(&rfc3339(at("2026-05-31T12:00:30Z")), 4).await;
    // Every run publishes one post linked to its automation: wait for all 500, then give a
    // duplicate the time to show up.
    let viewer = tenant.bulk("viewer");
    poll(
        Duration::from_secs(300),
        || every_post(&viewer),
        |posts: &Vec<Value>| posts.len() >= 500,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let posts = every_post(&viewer).await;
    let mut posts_per_automation: std::collections::BTreeMap<String, usize> = Default::default();
    for post in &posts {
        *posts_per_automation
            .entry(str_of(post, "automation_id").to_owned())
            .or_default() += 1;
    }
    let runs_per_automation: Vec<usize> = stream::iter(ids.iter())
        .map(|id| {
            let viewer = &viewer;
            async move { runs(viewer, id).await.len() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    // Cleaned up before the verdict, so that a failure here cannot spill into the next test.
    super::forget(&editor, &ids).await;
    assert_eq!(posts.len(), 500, "one post per occurrence");
    assert_eq!(posts_per_automation.len(), 500, "every automation ran");
    assert!(posts_per_automation.values().all(|n| *n == 1));
    let wrong: Vec<&usize> = runs_per_automation.iter().filter(|n| **n != 1).collect();
    assert!(wrong.is_empty(), "run counts other than 1: {wrong:?}");
}

/// Every post of the tenant, following `next_cursor`.
async fn every_post(api: &ofauto_tests::api::Api) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = api.get_query("/v1/posts", &q).await.ok_json(200);
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// 100 matching events and 100 that do not match make exactly 100 runs, one per matching event;
/// replaying stream records the function has already seen makes none.
#[tokio::test]
async fn event_triggers_run_once_per_matching_event() {
    super::quiet();
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = sink_channel(&tenant).await;
    let automation = create(
        &editor,
        &json!({
            "name": "welcome",
            "trigger": {"kind": "event", "event_type": "user.signup", "property_equals": {"plan": "pro"}},
            "action": {"kind": "publish_post", "channel_id": channel, "content_template": "Welcome {{event.properties.name}}"},
        }),
    )
    .await;
    let id = str_of(&automation, "id");
    assert!(automation["next_run_at"].is_null(), "{automation}");
    let bodies: Vec<Value> = (0..100)
        .flat_map(|i| {
            [
                json!({"type": "user.signup", "properties": {"plan": "pro", "name": format!("u{i}")}}),
                if i % 2 == 0 {
                    json!({"type": "user.signup", "properties": {"plan": "free"}})
                } else {
                    json!({"type": "user.login", "properties": {"plan": "pro"}})
                },
            ]
        })
        .collect();
    let events: Vec<Value> = stream::iter(bodies.iter())
        .map(|b| create_event(&editor, b))
        .buffered(16)
        .collect()
        .await;
    let matching: BTreeSet<String> = events
        .iter()
        .filter(|e| e["type"] == "user.signup" && e["properties"]["plan"] == "pro")
        .map(|e| str_of(e, "id").to_owned())
        .collect();
    let found = poll(
        Duration::from_secs(90),
        || runs(&editor, id),
        |r: &Vec<Value>| r.len() >= 100,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let found = if found.len() >= 100 {
        runs(&editor, id).await
    } else {
        found
    };
    let by_event: BTreeSet<String> = found
        .iter()
        .map(|r| str_of(r, "event_id").to_owned())
        .collect();
    assert_eq!(found.len(), 100, "one run per matching event");
    assert_eq!(by_event, matching);
    assert!(found
        .iter()
        .all(|r| r["trigger"] == "event" && r["status"] == "succeeded"));

    // The same 200 stream records again, as Lambda redelivers a batch after a failure or a
    // timeout: every one of them is seen twice now, and nothing runs a second time.
    let ids: Vec<String> = events.iter().map(|e| str_of(e, "id").to_owned()).collect();
    for chunk in ids.chunks(100) {
        let batch = replayed_stream_batch(&tenant, chunk).await;
        let answer = control::invoke("automation-events", &batch)
            .await
            .unwrap_or_else(|e| panic!("replaying the batch: {e:?}"));
        let failures = answer["batchItemFailures"].as_array().map_or(0, Vec::len);
        assert_eq!(failures, 0, "the replayed batch was taken: {answer}");
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        runs(&editor, id).await.len(),
        100,
        "no run twice after the replay"
    );
    let posts = every_post(&tenant.bulk("viewer")).await;
    let made = posts.iter().filter(|p| p["automation_id"] == id).count();
    assert_eq!(made, 100, "one post per matching event, replay or not");
}

/// Stream records of the events `ids` as Lambda delivers them (INSERT, new image), read back
/// from the table.
async fn replayed_stream_batch(tenant: &Tenant, ids: &[String]) -> Value {
    let tenant_id = TenantId::parse(&tenant.id).expect("tenant id");
    let mut records = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let key = Key::Event {
            tenant: &tenant_id,
            id: EventId::parse(id).expect("event id"),
        };
        let image = dynamo::get_item(key).await;
        assert!(image.is_object(), "event {id} is stored");
        records.push(json!({
            "eventID": format!("replay-{id}"),
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": image["pk"], "sk": image["sk"]},
                "NewImage": image,
                "SequenceNumber": format!("{:021}", i + 1),
                "SizeBytes": image.to_string().len(),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
                "ApproximateCreationDateTime": chrono::Utc::now().timestamp(),
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/ofauto/stream/replay",
        }));
    }
    json!({"Records": records})
}

/// A webhook action whose receiver always answers 500 fails its runs, with the error on record,
/// and after 10 failed runs in a row the automation pauses itself (`failing`).
#[tokio::test]
async fn ten_failed_runs_in_a_row_pause_the_automation() {
    super::quiet();
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let (channel, endpoint) = scripted_channel(
        &tenant,
        "failing",
        vec![],
        Step::status(500).retry_after("1"),
    )
    .await;
    let automation = create(
        &editor,
        &json!({
            "name": "always failing",
            "trigger": {"kind": "rate", "every_minutes": 10080},
            "action": {"kind": "webhook", "channel_id": channel["id"], "payload_template": {"hello": "{{automation.name}}"}},
        }),
    )
    .await;
    let id = str_of(&automation, "id");
    for _ in 0..10 {
        let resp = editor
            .post_json(&format!("/v1/automations/{id}/run"), &json!({}))
            .await;
        let accepted = resp.ok_json(202);
        assert!(accepted["run_id"].is_string(), "{accepted}");
    }
    let paused = poll(
        Duration::from_secs(120),
        || async {
            editor
                .get(&format!("/v1/automations/{id}"))
                .await
                .ok_json(200)
        },
        |a: &Value| a["enabled"] == false,
    )
    .await;
    assert_eq!(paused["enabled"], false, "{paused}");
    assert_eq!(paused["disabled_reason"], "failing", "{paused}");
    assert!(paused["next_run_at"].is_null(), "{paused}");
    let runs = runs(&editor, id).await;
    assert_eq!(runs.len(), 10, "{runs:#?}");
    for run in &runs {
        assert_eq!(run["status"], "failed", "{run}");
        assert_eq!(run["trigger"], "manual", "{run}");
        assert!(
            run["error"].as_str().is_some_and(|e| e.contains("500")),
            "{run}"
        );
    }
    let deliveries = endpoint.deliveries().await;
    assert!(!deliveries.is_empty());
    assert!(deliveries.iter().all(|d| !d.verified_by.is_empty()));
    assert!(deliveries
        .iter()
        .all(|d| d.body["type"] == "automation.webhook"));
    let announced = |events: &Vec<Value>| {
        events.iter().any(|e| {
            e["detail-type"] == "automation.run.failed"
                && e["detail"]["tenant_id"] == tenant.id.as_str()
        })
    };
    let events = poll(Duration::from_secs(20), control::domain_events, announced).await;
    assert!(announced(&events), "no automation.run.failed on the bus");
}

/// A deliverer that dies mid-attempt leaves its run `running`; SQS hands the message out again
/// after its visibility timeout. That copy finds the attempt's lease run out and takes the
/// attempt over, so the run still ends, with the same `webhook-id`. A copy that arrives while
/// the attempt is live does nothing. The death is staged: the first attempt is held on the wire,
/// a copy of its message is handed to the deliverer, then the lease is aged, then again.
#[tokio::test]
async fn a_copy_of_a_dead_deliverers_message_takes_its_attempt_over() {
    super::quiet();
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let (channel, endpoint) =
        scripted_channel(&tenant, "held", vec![Step::ok().hang(8.0)], Step::ok()).await;
    let automation = create(
        &editor,
        &json!({
            "name": "held on the wire",
            "trigger": {"kind": "rate", "every_minutes": 10080},
            "action": {"kind": "webhook", "channel_id": channel["id"]},
        }),
    )
    .await;
    let id = str_of(&automation, "id");
    let accepted = editor
        .post_json(&format!("/v1/automations/{id}/run"), &json!({}))
        .await
        .ok_json(202);
    let run_id = str_of(&accepted, "run_id");
    let first = endpoint.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(first.len(), 1, "the first attempt is on the wire");

    // A manual run is keyed at the instant it was recorded, which its ULID carries.
    let tenant_id = TenantId::parse(&tenant.id).expect("tenant id");
    let automation_id = AutomationId::parse(id).expect("automation id");
    let run = RunId::parse(run_id).expect("run id");
    let recorded_ms = ulid::Ulid::from_string(run_id)
        .expect("ulid")
        .timestamp_ms();
    let scheduled_for = Timestamp::from_millis(recorded_ms).expect("instant");
    let occurrence = format!("M#{run_id}");
    let message =
        DeliveryMessage::automation_run(&tenant_id, automation_id, run, scheduled_for, &occurrence);
    let copy = control::sqs_event(&message);

    let answer = control::invoke("deliverer", &copy)
        .await
        .expect("deliverer");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        endpoint.deliveries().await.len(),
        1,
        "a copy within the lease sends nothing: {answer}"
    );

    let aged = rfc3339(chrono::Utc::now() - chrono::TimeDelta::seconds(100));
    dynamo::set_strings(
        Key::AutomationRun {
            tenant: &tenant_id,
            automation: automation_id,
            scheduled_for,
            occurrence: &occurrence,
        },
        &[("attempt_started_at", &aged)],
    )
    .await;
    let answer = control::invoke("deliverer", &copy)
        .await
        .expect("deliverer");
    let failures = answer["batchItemFailures"].as_array().map_or(0, Vec::len);
    assert_eq!(failures, 0, "{answer}");
    let runs = wait_for_runs(&editor, id, 1).await;
    let deliveries = endpoint.wait_for(2, Duration::from_secs(20)).await;
    // The held first attempt comes back after the takeover finished the run; give it the time.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let runs_after = super::runs(&editor, id).await;
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(
        runs_after, runs,
        "the held attempt changed nothing when it came back"
    );
    assert_eq!(runs[0]["status"], "succeeded", "{runs:#?}");
    assert_eq!(runs[0]["id"], run_id);
    assert_eq!(deliveries.len(), 2, "the taken-over attempt was sent again");
    assert!(
        deliveries
            .iter()
            .all(|d| d.webhook_id == first[0].webhook_id),
        "the same webhook-id: {deliveries:?}"
    );
    assert_eq!(
        endpoint.deliveries().await.len(),
        2,
        "nothing more was sent"
    );
}
