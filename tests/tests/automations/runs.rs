//! Runs: each occurrence once however many dispatchers race, catch-up after an outage with
//! every occurrence that did not run on record as `skipped`, event triggers exactly once under
//! redelivery, and failures that pause an automation.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use ofauto_tests::control;
use ofauto_tests::fixtures::{create_event, poll, Tenant};
use ofauto_tests::receiver::{receiver, Step};
use serde_json::{json, Value};

use super::{
    at, create, fired, post_action, rfc3339, runs, schedule, sink_channel, stage_next_run, str_of,
    tick,
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
}

/// A webhook action whose receiver always answers 500 fails its runs, with the error on record,
/// and after 10 failed runs in a row the automation pauses itself (`failing`).
#[tokio::test]
async fn ten_failed_runs_in_a_row_pause_the_automation() {
    super::quiet();
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let endpoint = receiver().endpoint(&format!("{}-failing", tenant.id));
    let channel = tenant
        .bulk("admin")
        .post_json(
            "/v1/channels",
            &json!({"name": "failing", "kind": "webhook", "url": endpoint.url()}),
        )
        .await
        .ok_json(201);
    endpoint
        .configure(
            &[str_of(&channel, "signing_secret").to_owned()],
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
    let events = control::domain_events().await;
    assert!(events
        .iter()
        .any(|e| e["detail-type"] == "automation.run.failed"
            && e["detail"]["tenant_id"] == tenant.id.as_str()));
}
