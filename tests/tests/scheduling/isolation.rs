//! Tenant isolation on every channel and post route: another tenant's ids look exactly like ids
//! that do not exist (404), another tenant's cursors are refused (400), a post cannot target
//! another tenant's channel, and a signing secret appears in no answer but create and rotate,
//! and in no log line.

use ofauto_tests::fixtures::Tenant;
use ofauto_tests::stack::stack;
use serde_json::{json, Value};

use super::posts::patch;
use super::{create_post, get_post, in_seconds, list_every, str_of, TestChannel};

#[tokio::test]
async fn another_tenants_channel_is_not_found_on_every_route() {
    let owner = Tenant::new();
    let channel = TestChannel::ok(&owner).await;
    let intruder = Tenant::new();
    let admin = intruder.bulk("admin");
    let path = format!("/v1/channels/{}", channel.id);
    admin.get(&path).await.problem(404, "not-found");
    patch(&admin, &path, &json!({"name": "mine"}))
        .await
        .problem(404, "not-found");
    admin
        .post_json(&format!("{path}/rotate-secret"), &json!({}))
        .await
        .problem(404, "not-found");
    admin
        .post_json(&format!("{path}/test"), &json!({}))
        .await
        .problem(404, "not-found");
    admin.delete(&path).await.problem(404, "not-found");
    assert!(list_every(&admin, "/v1/channels", &[]).await.is_empty());

    // Untouched: same name, still active, its secret still the one that verifies, no delivery.
    let still = owner.bulk("viewer").get(&path).await.ok_json(200);
    assert_eq!(still["name"], channel.body["name"]);
    assert_eq!(still["status"], "active");
    assert!(channel.endpoint.deliveries().await.is_empty());
}

#[tokio::test]
async fn another_tenants_post_is_not_found_on_every_route() {
    let owner = Tenant::new();
    let channel = TestChannel::ok(&owner).await;
    let post = create_post(&owner.bulk("editor"), &channel.id, Some(in_seconds(3600.0))).await;
    let intruder = Tenant::new();
    let editor = intruder.bulk("editor");
    let path = format!("/v1/posts/{}", str_of(&post, "id"));
    editor.get(&path).await.problem(404, "not-found");
    editor
        .get(&format!("{path}/attempts"))
        .await
        .problem(404, "not-found");
    patch(&editor, &path, &json!({"content": "mine"}))
        .await
        .problem(404, "not-found");
    editor.delete(&path).await.problem(404, "not-found");
    editor
        .post_json(&format!("{path}/retry"), &json!({}))
        .await
        .problem(404, "not-found");
    assert!(list_every(&editor, "/v1/posts", &[]).await.is_empty());
    assert_eq!(
        get_post(&owner.bulk("viewer"), str_of(&post, "id")).await,
        post
    );
}

#[tokio::test]
async fn a_post_cannot_target_another_tenants_channel() {
    let owner = Tenant::new();
    let channel = TestChannel::ok(&owner).await;
    let intruder = Tenant::new();
    let editor = intruder.bulk("editor");
    editor
        .post_json(
            "/v1/posts",
            &json!({"channel_id": channel.id, "content": "x"}),
        )
        .await
        .validation_failed(&["channel_id"]);
    let mine = TestChannel::ok(&intruder).await;
    let post = create_post(&editor, &mine.id, None).await;
    patch(
        &editor,
        &format!("/v1/posts/{}", str_of(&post, "id")),
        &json!({"channel_id": channel.id}),
    )
    .await
    .expect_status(400);
    assert_eq!(list_every(&editor, "/v1/posts", &[]).await.len(), 1);
    assert!(channel.endpoint.deliveries().await.is_empty());
}

#[tokio::test]
async fn another_tenants_cursors_are_refused() {
    let owner = Tenant::new();
    let owner_editor = owner.bulk("editor");
    let a = TestChannel::ok(&owner).await;
    let _b = TestChannel::ok(&owner).await;
    for _ in 0..2 {
        create_post(&owner_editor, &a.id, None).await;
    }
    let viewer = owner.bulk("viewer");
    let intruder = Tenant::new().bulk("viewer");
    for path in ["/v1/channels", "/v1/posts"] {
        let page = viewer.get_query(path, &[("limit", "1")]).await.ok_json(200);
        let cursor = page["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("{path} has a second page: {page}"))
            .to_owned();
        intruder
            .get_query(path, &[("limit", "1"), ("cursor", &cursor)])
            .await
            .invalid_cursor();
    }
    // Nor does a cursor fit another query of the owner's (the filters are bound; `limit` is not).
    let page = viewer
        .get_query("/v1/posts", &[("limit", "1")])
        .await
        .ok_json(200);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    viewer
        .get_query(
            "/v1/posts",
            &[("limit", "1"), ("status", "draft"), ("cursor", &cursor)],
        )
        .await
        .invalid_cursor();
}

#[tokio::test]
async fn a_signing_secret_appears_only_in_create_and_rotate_answers_and_in_no_log_line() {
    let tenant = Tenant::new();
    let admin = tenant.bulk("admin");
    let channel = TestChannel::ok(&tenant).await;
    let path = format!("/v1/channels/{}", channel.id);
    let rotated: Value = admin
        .post_json(&format!("{path}/rotate-secret"), &json!({}))
        .await
        .ok_json(200);
    let secrets = [
        channel.secret.clone(),
        str_of(&rotated, "signing_secret").to_owned(),
    ];
    let mut answers = vec![
        admin.get(&path).await.body,
        admin.get("/v1/channels").await.body,
        admin
            .post_json(&format!("{path}/test"), &json!({}))
            .await
            .body,
    ];
    let post = create_post(&tenant.bulk("editor"), &channel.id, Some(in_seconds(1.0))).await;
    super::wait_for_status(
        &admin,
        str_of(&post, "id"),
        "published",
        std::time::Duration::from_secs(60),
    )
    .await;
    answers.push(
        admin
            .get(&format!("/v1/posts/{}", str_of(&post, "id")))
            .await
            .body,
    );
    answers.push(
        admin
            .get(&format!("/v1/posts/{}/attempts", str_of(&post, "id")))
            .await
            .body,
    );
    answers.push(patch(&admin, &path, &json!({"name": "renamed"})).await.body);
    let log = std::fs::read_to_string(&stack().log_path).expect("the stack's log");
    for secret in &secrets {
        // The base64 part alone, so that no encoding of the prefix hides it.
        let key = &secret["whsec_".len()..];
        for answer in &answers {
            assert!(!answer.contains(key), "a secret in an answer: {answer}");
        }
        assert!(!log.contains(key), "a signing secret is in the stack's log");
    }
}
