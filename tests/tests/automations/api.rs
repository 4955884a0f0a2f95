//! The automation routes: CRUD, pause and resume, run-now, roles, every field rule (a 400 naming
//! the field, nothing written) and other tenants' automations, runs and channels.

use ofauto_tests::api::{Api, Resp};
use ofauto_tests::fixtures::Tenant;
use reqwest::Method;
use serde_json::{json, Value};

use super::{at, create, post_action, runs, schedule, sink_channel, str_of, wait_for_runs};

async fn patch(api: &Api, path: &str, body: &Value) -> Resp {
    api.send(
        Method::PATCH,
        api.url(path),
        Some((body.to_string().into_bytes(), "application/json")),
        &[],
    )
    .await
}

async fn list(api: &Api) -> Vec<Value> {
    api.get("/v1/automations?limit=100").await.ok_json(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

#[tokio::test]
async fn an_automation_is_created_listed_paused_resumed_run_and_deleted() {
    super::quiet();
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = sink_channel(&tenant).await;
    let created = create(
        &editor,
        &json!({
            "name": "monday nine",
            "trigger": schedule("0 9 * * MON", "America/New_York"),
            "action": post_action(&channel),
        }),
    )
    .await;
    let mut fields: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "action",
            "catchup",
            "consecutive_failures",
            "created_at",
            "disabled_reason",
            "enabled",
            "id",
            "last_run_at",
            "name",
            "next_run_at",
            "trigger",
            "updated_at"
        ]
    );
    assert_eq!(created["enabled"], true);
    assert_eq!(created["catchup"], "latest", "the default");
    assert_eq!(created["consecutive_failures"], 0);
    let next = at(str_of(&created, "next_run_at"));
    assert!(next > chrono::Utc::now());
    assert_eq!(next.format("%a").to_string(), "Mon");
    let id = str_of(&created, "id");
    let path = format!("/v1/automations/{id}");
    let viewer = tenant.bulk("viewer");
    assert_eq!(viewer.get(&path).await.ok_json(200), created);
    assert_eq!(list(&viewer).await, vec![created.clone()]);

    let paused = patch(&editor, &path, &json!({"enabled": false}))
        .await
        .ok_json(200);
    assert_eq!(paused["enabled"], false);
    assert!(paused["next_run_at"].is_null(), "{paused}");

    // Run-now works while paused.
    let accepted = editor
        .post_json(&format!("{path}/run"), &json!({}))
        .await
        .ok_json(202);
    let run_id = str_of(&accepted, "run_id").to_owned();
    let done = wait_for_runs(&viewer, id, 1).await;
    assert_eq!(done.len(), 1, "{done:#?}");
    assert_eq!(done[0]["id"], run_id.as_str());
    assert_eq!(done[0]["trigger"], "manual");
    assert_eq!(done[0]["status"], "succeeded", "{done:#?}");
    let post = viewer
        .get(&format!("/v1/posts/{}", str_of(&done[0], "post_id")))
        .await
        .ok_json(200);
    assert_eq!(
        post["automation_id"], id,
        "the post links its automation: {post}"
    );
    assert_eq!(
        post["content"]
            .as_str()
            .map(|c| c.starts_with("monday nine at ")),
        Some(true)
    );

    let resumed = patch(&editor, &path, &json!({"enabled": true, "name": "renamed"}))
        .await
        .ok_json(200);
    assert_eq!(resumed["enabled"], true);
    assert_eq!(resumed["name"], "renamed");
    assert_eq!(resumed["next_run_at"], created["next_run_at"]);

    let every = patch(
        &editor,
        &path,
        &json!({"trigger": {"kind": "rate", "every_minutes": 15}}),
    )
    .await
    .ok_json(200);
    let next = at(str_of(&every, "next_run_at"));
    assert!(
        next - chrono::Utc::now() <= chrono::TimeDelta::minutes(15),
        "{every}"
    );

    editor.delete(&path).await.expect_status(204);
    viewer.get(&path).await.problem(404, "not-found");
    assert!(list(&viewer).await.is_empty());
}

#[tokio::test]
async fn viewers_read_and_preview_but_never_write() {
    super::quiet();
    let tenant = Tenant::new();
    let channel = sink_channel(&tenant).await;
    let created = create(
        &tenant.bulk("editor"),
        &json!({"name": "n", "trigger": {"kind": "rate", "every_minutes": 60}, "action": post_action(&channel)}),
    )
    .await;
    let viewer = tenant.bulk("viewer");
    let path = format!("/v1/automations/{}", str_of(&created, "id"));
    viewer
        .post_json(
            "/v1/automations",
            &json!({"name": "n", "trigger": {"kind": "rate", "every_minutes": 60}, "action": post_action(&channel)}),
        )
        .await
        .problem(403, "forbidden");
    patch(&viewer, &path, &json!({"name": "x"}))
        .await
        .problem(403, "forbidden");
    viewer.delete(&path).await.problem(403, "forbidden");
    viewer
        .post_json(&format!("{path}/run"), &json!({}))
        .await
        .problem(403, "forbidden");
    viewer
        .post_json(
            "/v1/automations/preview",
            &json!({"trigger": {"kind": "rate", "every_minutes": 60}, "count": 3}),
        )
        .await
        .expect_status(200);
    assert_eq!(list(&viewer).await, vec![created]);
}

#[tokio::test]
async fn bad_automations_are_refused_naming_the_field_and_nothing_is_written() {
    super::quiet();
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = sink_channel(&tenant).await;
    let action = post_action(&channel);
    let rate = json!({"kind": "rate", "every_minutes": 5});
    let cases = [
        (json!({"trigger": rate, "action": action}), "name"),
        (
            json!({"name": "", "trigger": rate, "action": action}),
            "name",
        ),
        (json!({"name": "n", "action": action}), "trigger"),
        (
            json!({"name": "n", "trigger": schedule("61 * * * *", "UTC"), "action": action}),
            "trigger.cron",
        ),
        (
            json!({"name": "n", "trigger": schedule("* * * *", "UTC"), "action": action}),
            "trigger.cron",
        ),
        (
            json!({"name": "n", "trigger": schedule("0 0 31 2 *", "UTC"), "action": action}),
            "trigger.cron",
        ),
        (
            json!({"name": "n", "trigger": schedule("0 9 * * *", "Mars/Olympus"), "action": action}),
            "trigger.timezone",
        ),
        (
            json!({"name": "n", "trigger": {"kind": "rate", "every_minutes": 0}, "action": action}),
            "trigger.every_minutes",
        ),
        (
            json!({"name": "n", "trigger": {"kind": "rate", "every_minutes": 10081}, "action": action}),
            "trigger.every_minutes",
        ),
        (
            json!({"name": "n", "trigger": {"kind": "cron"}, "action": action}),
            "trigger.kind",
        ),
        (
            json!({"name": "n", "trigger": rate, "action": {"kind": "publish_post", "channel_id": channel, "content_template": "{{user.email}}"}}),
            "action.content_template",
        ),
        (
            json!({"name": "n", "trigger": rate, "action": {"kind": "publish_post", "channel_id": channel, "content_template": "{{now"}}),
            "action.content_template",
        ),
        (
            json!({"name": "n", "trigger": rate, "action": action, "catchup": "some"}),
            "catchup",
        ),
        (
            json!({"name": "n", "trigger": rate, "action": action, "owner": "me"}),
            "owner",
        ),
        (
            json!({"name": "n", "trigger": {"kind": "rate", "every_minutes": 5, "jitter": 1}, "action": action}),
            "trigger.jitter",
        ),
    ];
    for (body, field) in cases {
        let resp = editor.post_json("/v1/automations", &body).await;
        resp.validation_failed(&[field]);
    }
    let unknown = editor
        .post_json(
            "/v1/automations",
            &json!({"name": "n", "trigger": rate, "action": {"kind": "publish_post", "channel_id": channel, "content_template": "hi {{user.email}}"}}),
        )
        .await;
    let problem = unknown.validation_failed(&["action.content_template"]);
    assert!(
        problem
            .message_for("action.content_template")
            .is_some_and(|m| m.contains("user.email")),
        "the message names the placeholder:\n{unknown}"
    );
    assert!(list(&editor).await.is_empty());
    editor
        .post_json(
            "/v1/automations/preview",
            &json!({"trigger": {"kind": "event", "event_type": "a"}}),
        )
        .await
        .validation_failed(&["trigger.kind"]);
    editor
        .post_json(
            "/v1/automations/preview",
            &json!({"trigger": rate, "count": 51}),
        )
        .await
        .validation_failed(&["count"]);
}

#[tokio::test]
async fn another_tenants_automations_runs_and_channels_are_out_of_reach() {
    super::quiet();
    let owner = Tenant::new();
    let channel = sink_channel(&owner).await;
    let created = create(
        &owner.bulk("editor"),
        &json!({"name": "mine", "trigger": {"kind": "rate", "every_minutes": 60}, "action": post_action(&channel)}),
    )
    .await;
    let id = str_of(&created, "id");
    let path = format!("/v1/automations/{id}");
    let intruder = Tenant::new();
    let editor = intruder.bulk("editor");
    editor.get(&path).await.problem(404, "not-found");
    editor
        .get(&format!("{path}/runs"))
        .await
        .problem(404, "not-found");
    patch(&editor, &path, &json!({"enabled": false}))
        .await
        .problem(404, "not-found");
    editor
        .post_json(&format!("{path}/run"), &json!({}))
        .await
        .problem(404, "not-found");
    editor.delete(&path).await.problem(404, "not-found");
    assert!(list(&editor).await.is_empty());
    // An action cannot name another tenant's channel.
    editor
        .post_json(
            "/v1/automations",
            &json!({"name": "steal", "trigger": {"kind": "rate", "every_minutes": 60}, "action": post_action(&channel)}),
        )
        .await
        .validation_failed(&["action.channel_id"]);
    assert_eq!(
        owner.bulk("viewer").get(&path).await.ok_json(200),
        created,
        "untouched"
    );
    assert!(runs(&owner.bulk("viewer"), id).await.is_empty());
}
