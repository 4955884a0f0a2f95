//! Posts: CRUD, the state machine of API.md (anything else is 409 naming the current status), and
//! the list's order and filters.

use std::time::Duration;

use ofauto_tests::api::{Api, Resp};
use ofauto_tests::fixtures::Tenant;
use ofauto_tests::receiver::Step;
use reqwest::Method;
use serde_json::{json, Value};

use super::{
    assert_post_shape, create_post, get_post, in_seconds, list_every, rfc3339, str_of,
    wait_for_status, TestChannel,
};

pub async fn patch(api: &Api, path: &str, body: &Value) -> Resp {
    api.send(
        Method::PATCH,
        api.url(path),
        Some((body.to_string().into_bytes(), "application/json")),
        &[],
    )
    .await
}

#[track_caller]
fn conflict_naming(resp: &Resp, status: &str) {
    let problem = resp.problem(409, "conflict");
    assert!(
        problem.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(status)),
        "409 names the current status `{status}`:\n{resp}"
    );
}

#[tokio::test]
async fn a_draft_is_scheduled_unscheduled_edited_and_cancelled() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let draft = create_post(&editor, &channel.id, None).await;
    assert_eq!(draft["status"], "draft");
    assert!(draft["scheduled_at"].is_null() && draft["automation_id"].is_null());
    assert_eq!(draft["attempts"], 0);
    assert_eq!(draft["media_urls"], json!([]));
    let path = format!("/v1/posts/{}", str_of(&draft, "id"));

    let later = rfc3339(in_seconds(3600.0));
    let scheduled = patch(
        &editor,
        &path,
        &json!({"scheduled_at": later, "content": "v2"}),
    )
    .await
    .ok_json(200);
    assert_post_shape(&scheduled);
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["scheduled_at"], later.as_str());
    assert_eq!(scheduled["content"], "v2");
    assert_eq!(scheduled["webhook_id"], draft["webhook_id"]);

    let back = patch(&editor, &path, &json!({"scheduled_at": null}))
        .await
        .ok_json(200);
    assert_eq!(back["status"], "draft");
    assert!(back["scheduled_at"].is_null());

    let media = json!([
        "https://cdn.example.com/a.png",
        "https://cdn.example.com/b.png"
    ]);
    let edited = patch(&editor, &path, &json!({"media_urls": media}))
        .await
        .ok_json(200);
    assert_eq!(edited["media_urls"], media);

    let cancelled = editor.delete(&path).await.ok_json(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(get_post(&editor, str_of(&draft, "id")).await, cancelled);

    // Nothing leaves `cancelled`.
    conflict_naming(&editor.delete(&path).await, "cancelled");
    conflict_naming(
        &patch(&editor, &path, &json!({"content": "v3"})).await,
        "cancelled",
    );
    conflict_naming(
        &editor.post_json(&format!("{path}/retry"), &json!({})).await,
        "cancelled",
    );
    assert!(channel.endpoint.deliveries().await.is_empty());
}

#[tokio::test]
async fn published_and_failed_posts_are_final_except_for_a_retry() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let ok = TestChannel::ok(&tenant).await;
    let post = create_post(&editor, &ok.id, Some(in_seconds(1.0))).await;
    let id = str_of(&post, "id");
    let published = wait_for_status(&editor, id, "published", Duration::from_secs(60)).await;
    assert!(published["published_at"].is_string(), "{published}");
    assert!(published["last_error"].is_null(), "{published}");
    let path = format!("/v1/posts/{id}");
    conflict_naming(&editor.delete(&path).await, "published");
    conflict_naming(
        &patch(&editor, &path, &json!({"content": "x"})).await,
        "published",
    );
    conflict_naming(
        &editor.post_json(&format!("{path}/retry"), &json!({})).await,
        "published",
    );

    // A scheduled post cannot be retried: only a failed one can.
    let scheduled = create_post(&editor, &ok.id, Some(in_seconds(3600.0))).await;
    conflict_naming(
        &editor
            .post_json(
                &format!("/v1/posts/{}/retry", str_of(&scheduled, "id")),
                &json!({}),
            )
            .await,
        "scheduled",
    );

    let bad = TestChannel::new(&tenant, vec![], Step::status(422)).await;
    let post = create_post(&editor, &bad.id, Some(in_seconds(1.0))).await;
    let id = str_of(&post, "id");
    let failed = wait_for_status(&editor, id, "failed", Duration::from_secs(60)).await;
    assert!(failed["last_error"].is_string(), "{failed}");
    let path = format!("/v1/posts/{id}");
    conflict_naming(&editor.delete(&path).await, "failed");
    conflict_naming(
        &patch(&editor, &path, &json!({"content": "x"})).await,
        "failed",
    );
}

#[tokio::test]
async fn posts_list_by_scheduled_at_then_id_with_drafts_last_and_filter() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let a = TestChannel::ok(&tenant).await;
    let b = TestChannel::ok(&tenant).await;
    let t1 = in_seconds(7200.0);
    let t2 = in_seconds(3600.0);
    let late = create_post(&editor, &a.id, Some(t1)).await;
    let early = create_post(&editor, &b.id, Some(t2)).await;
    let draft = create_post(&editor, &a.id, None).await;
    let cancelled = create_post(&editor, &b.id, Some(in_seconds(5400.0))).await;
    editor
        .delete(&format!("/v1/posts/{}", str_of(&cancelled, "id")))
        .await
        .expect_status(200);

    let viewer = tenant.bulk("viewer");
    let ids = |posts: Vec<Value>| -> Vec<String> {
        posts.iter().map(|p| str_of(p, "id").to_owned()).collect()
    };
    let all = list_every(&viewer, "/v1/posts", &[("limit", "1")]).await;
    assert_eq!(
        ids(all),
        [&early, &cancelled, &late, &draft].map(|p| str_of(p, "id").to_owned()),
        "by scheduled_at, drafts last, one per page"
    );
    let scheduled = list_every(&viewer, "/v1/posts", &[("status", "scheduled")]).await;
    assert_eq!(ids(scheduled), [str_of(&early, "id"), str_of(&late, "id")]);
    let on_a = list_every(&viewer, "/v1/posts", &[("channel_id", a.id.as_str())]).await;
    assert_eq!(ids(on_a), [str_of(&late, "id"), str_of(&draft, "id")]);
    let window = list_every(
        &viewer,
        "/v1/posts",
        &[("from", &rfc3339(t2)), ("to", &rfc3339(t2))],
    )
    .await;
    assert_eq!(
        ids(window),
        [str_of(&early, "id")],
        "from/to are inclusive on scheduled_at"
    );
}

#[tokio::test]
async fn attempts_of_a_post_never_sent_are_an_empty_list() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let post = create_post(&editor, &channel.id, None).await;
    let attempts = tenant
        .bulk("viewer")
        .get(&format!("/v1/posts/{}/attempts", str_of(&post, "id")))
        .await
        .ok_json(200);
    assert_eq!(attempts, json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn viewers_read_posts_and_never_write_them() {
    let tenant = Tenant::new();
    let channel = TestChannel::ok(&tenant).await;
    let post = create_post(&tenant.bulk("editor"), &channel.id, None).await;
    let viewer = tenant.bulk("viewer");
    let path = format!("/v1/posts/{}", str_of(&post, "id"));
    viewer
        .post_json(
            "/v1/posts",
            &json!({"channel_id": channel.id, "content": "x"}),
        )
        .await
        .problem(403, "forbidden");
    patch(&viewer, &path, &json!({"content": "y"}))
        .await
        .problem(403, "forbidden");
    viewer.delete(&path).await.problem(403, "forbidden");
    viewer
        .post_json(&format!("{path}/retry"), &json!({}))
        .await
        .problem(403, "forbidden");
    assert_eq!(get_post(&viewer, str_of(&post, "id")).await, post);
}

#[tokio::test]
async fn creating_a_post_is_idempotent() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let body = json!({"channel_id": channel.id, "content": "once"});
    let headers = [("idempotency-key", "post-1")];
    let first = editor
        .post_json_with("/v1/posts", &body, &headers)
        .await
        .ok_json(201);
    let second = editor
        .post_json_with("/v1/posts", &body, &headers)
        .await
        .ok_json(201);
    assert_eq!(first, second);
    assert_eq!(list_every(&editor, "/v1/posts", &[]).await.len(), 1);
}
