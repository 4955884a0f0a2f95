//! Channels: CRUD, roles, the secret shown exactly once, rotation, the test message.

use ofauto_tests::fixtures::Tenant;
use ofauto_tests::receiver::Step;
use reqwest::Method;
use serde_json::{json, Value};

use super::{assert_channel_shape, list_every, str_of, TestChannel};

async fn patch(api: &ofauto_tests::api::Api, path: &str, body: &Value) -> ofauto_tests::api::Resp {
    api.send(
        Method::PATCH,
        api.url(path),
        Some((body.to_string().into_bytes(), "application/json")),
        &[],
    )
    .await
}

#[tokio::test]
async fn a_channel_is_created_shown_listed_renamed_and_deleted() {
    let tenant = Tenant::new();
    let admin = tenant.bulk("admin");
    let viewer = tenant.bulk("viewer");
    let channel = TestChannel::ok(&tenant).await;
    let created = &channel.body;
    let secret = str_of(created, "signing_secret");
    assert!(secret.starts_with("whsec_"), "{created}");
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &secret["whsec_".len()..],
    )
    .expect("base64 after whsec_");
    assert_eq!(raw.len(), 32, "32 random bytes");
    assert_eq!(created["status"], "active");
    assert_eq!(created["kind"], "webhook");
    assert!(created["disabled_reason"].is_null() && created["failing_since"].is_null());

    let path = format!("/v1/channels/{}", channel.id);
    let shown = viewer.get(&path).await.ok_json(200);
    assert_channel_shape(&shown);
    assert!(
        !shown.to_string().contains(secret),
        "the secret is shown once"
    );
    let listed = list_every(&viewer, "/v1/channels", &[]).await;
    assert_eq!(listed, vec![shown.clone()]);

    let renamed = patch(&admin, &path, &json!({"name": "renamed"}))
        .await
        .ok_json(200);
    assert_eq!(renamed["name"], "renamed");
    assert_eq!(renamed["url"], shown["url"]);
    assert_channel_shape(&renamed);

    admin.delete(&path).await.expect_status(204);
    viewer.get(&path).await.problem(404, "not-found");
    admin.delete(&path).await.problem(404, "not-found");
}

#[tokio::test]
async fn only_admins_manage_channels_and_viewers_read_them() {
    let tenant = Tenant::new();
    let channel = TestChannel::ok(&tenant).await;
    let path = format!("/v1/channels/{}", channel.id);
    for role in ["editor", "viewer"] {
        let api = tenant.bulk(role);
        api.post_json(
            "/v1/channels",
            &json!({"name": "x", "kind": "webhook", "url": channel.endpoint.url()}),
        )
        .await
        .problem(403, "forbidden");
        patch(&api, &path, &json!({"name": "y"}))
            .await
            .problem(403, "forbidden");
        api.delete(&path).await.problem(403, "forbidden");
        api.post_json(&format!("{path}/rotate-secret"), &json!({}))
            .await
            .problem(403, "forbidden");
        api.post_json(&format!("{path}/test"), &json!({}))
            .await
            .problem(403, "forbidden");
        api.get(&path).await.expect_status(200);
    }
    assert_eq!(
        list_every(&tenant.bulk("viewer"), "/v1/channels", &[])
            .await
            .len(),
        1
    );
    assert!(channel.endpoint.deliveries().await.is_empty());
}

#[tokio::test]
async fn the_test_message_reports_what_the_receiver_answered() {
    let tenant = Tenant::new();
    let admin = tenant.bulk("admin");
    let channel = TestChannel::new(&tenant, vec![Step::status(503)], Step::ok()).await;
    let path = format!("/v1/channels/{}/test", channel.id);
    let failed = admin.post_json(&path, &json!({})).await.ok_json(200);
    assert_eq!(failed["delivered"], false, "{failed}");
    assert_eq!(failed["status_code"], 503, "{failed}");
    assert!(failed["error"].is_string(), "{failed}");
    let ok = admin.post_json(&path, &json!({})).await.ok_json(200);
    assert_eq!(ok["delivered"], true, "{ok}");
    assert_eq!(ok["status_code"], 200, "{ok}");
    assert!(ok["latency_ms"].is_u64() && ok["error"].is_null(), "{ok}");
    let d = channel.endpoint.deliveries().await;
    assert_eq!(d.len(), 2);
    assert_ne!(
        d[0].webhook_id, d[1].webhook_id,
        "each test is its own message"
    );
    for delivery in &d {
        assert_eq!(delivery.body["type"], "channel.test");
        assert_eq!(delivery.verified_by, [0], "{delivery:?}");
    }
}

#[tokio::test]
async fn creating_a_channel_is_idempotent() {
    let tenant = Tenant::new();
    let admin = tenant.bulk("admin");
    let body = json!({"name": "idem", "kind": "webhook", "url": "http://127.0.0.1:9/hook"});
    let headers = [("idempotency-key", "channel-1")];
    let first = admin.post_json_with("/v1/channels", &body, &headers).await;
    let second = admin.post_json_with("/v1/channels", &body, &headers).await;
    let mut first = first.ok_json(201);
    assert!(first["signing_secret"].is_string(), "{first}");
    assert_eq!(second.header("idempotency-replayed"), Some("true"));
    // The secret is never stored outside Secrets Manager, so the replay is the first answer
    // without it.
    first
        .as_object_mut()
        .expect("an object")
        .remove("signing_secret");
    assert_eq!(
        second.ok_json(201),
        first,
        "the replay is the first answer, secret aside"
    );
    assert_eq!(list_every(&admin, "/v1/channels", &[]).await.len(), 1);
    let other = json!({"name": "other", "kind": "webhook", "url": "http://127.0.0.1:9/hook"});
    admin
        .post_json_with("/v1/channels", &other, &headers)
        .await
        .expect_status(422);
}
