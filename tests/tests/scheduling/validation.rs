//! Every field rule of Channels and Posts in API.md: a 400 that names the field, and nothing
//! written (the tenant's lists stay as they were).

use ofauto_tests::api::Api;
use ofauto_tests::fixtures::Tenant;
use serde_json::{json, Value};

use super::posts::patch;
use super::{create_post, get_post, in_seconds, list_every, rfc3339, str_of, TestChannel};

async fn channel_refused(api: &Api, body: Value, field: &str) {
    let resp = api.post_json("/v1/channels", &body).await;
    let problem = resp.validation_failed(&[field]);
    assert!(problem.message_for(field).is_some(), "{resp}");
}

#[tokio::test]
async fn bad_channels_are_refused_naming_the_field_and_nothing_is_written() {
    let tenant = Tenant::new();
    let admin = tenant.bulk("admin");
    let url = "https://hooks.example.com/ofauto";
    let cases = [
        (json!({"kind": "webhook", "url": url}), "name"),
        (json!({"name": "", "kind": "webhook", "url": url}), "name"),
        (
            json!({"name": "x".repeat(101), "kind": "webhook", "url": url}),
            "name",
        ),
        (json!({"name": 7, "kind": "webhook", "url": url}), "name"),
        (json!({"name": "n", "url": url}), "kind"),
        (json!({"name": "n", "kind": "email", "url": url}), "kind"),
        (json!({"name": "n", "kind": "webhook"}), "url"),
        (
            json!({"name": "n", "kind": "webhook", "url": "not a url"}),
            "url",
        ),
        (
            json!({"name": "n", "kind": "webhook", "url": "ftp://example.com/x"}),
            "url",
        ),
        // Plain http only to loopback, even locally.
        (
            json!({"name": "n", "kind": "webhook", "url": "http://example.com/x"}),
            "url",
        ),
        (
            json!({"name": "n", "kind": "webhook", "url": "http://10.0.0.1/x"}),
            "url",
        ),
        (
            json!({"name": "n", "kind": "webhook", "url": "http://169.254.169.254/latest/meta-data"}),
            "url",
        ),
        (
            json!({"name": "n", "kind": "webhook", "url": "https://user:pw@example.com/x"}),
            "url",
        ),
        (
            json!({"name": "n", "kind": "webhook", "url": format!("https://example.com/{}", "a".repeat(2100))}),
            "url",
        ),
        (
            json!({"name": "n", "kind": "webhook", "url": url, "secret": "mine"}),
            "secret",
        ),
        (
            json!({"name": "n", "kind": "webhook", "url": url, "status": "disabled"}),
            "status",
        ),
    ];
    for (body, field) in cases {
        channel_refused(&admin, body, field).await;
    }
    assert!(list_every(&admin, "/v1/channels", &[]).await.is_empty());
}

#[tokio::test]
async fn bad_channel_changes_are_refused_and_change_nothing() {
    let tenant = Tenant::new();
    let admin = tenant.bulk("admin");
    let channel = TestChannel::ok(&tenant).await;
    let path = format!("/v1/channels/{}", channel.id);
    let before = admin.get(&path).await.ok_json(200);
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"url": "http://example.com/x"}), "url"),
        (json!({"url": "http://192.168.1.1/x"}), "url"),
        (json!({"status": "disabled"}), "status"),
        (json!({"kind": "webhook"}), "kind"),
        (json!({"failing_since": null}), "failing_since"),
    ] {
        patch(&admin, &path, &body)
            .await
            .validation_failed(&[field]);
    }
    assert_eq!(admin.get(&path).await.ok_json(200), before);
}

#[tokio::test]
async fn bad_posts_are_refused_naming_the_field_and_nothing_is_written() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let ch = channel.id.as_str();
    let too_many: Vec<String> = (0..11)
        .map(|i| format!("https://cdn.example.com/{i}.png"))
        .collect();
    let cases = [
        (json!({"content": "x"}), "channel_id"),
        (json!({"channel_id": "nope", "content": "x"}), "channel_id"),
        (
            json!({"channel_id": ulid::Ulid::new().to_string(), "content": "x"}),
            "channel_id",
        ),
        (json!({"channel_id": ch}), "content"),
        (json!({"channel_id": ch, "content": ""}), "content"),
        (
            json!({"channel_id": ch, "content": "x".repeat(5001)}),
            "content",
        ),
        (json!({"channel_id": ch, "content": 5}), "content"),
        (
            json!({"channel_id": ch, "content": "x", "media_urls": too_many}),
            "media_urls",
        ),
        (
            json!({"channel_id": ch, "content": "x", "media_urls": ["http://cdn.example.com/a.png"]}),
            "media_urls[0]",
        ),
        (
            json!({"channel_id": ch, "content": "x", "media_urls": ["https://cdn.example.com/a.png", "not a url"]}),
            "media_urls[1]",
        ),
        (
            json!({"channel_id": ch, "content": "x", "media_urls": "https://cdn.example.com/a.png"}),
            "media_urls",
        ),
        (
            json!({"channel_id": ch, "content": "x", "scheduled_at": rfc3339(in_seconds(-120.0))}),
            "scheduled_at",
        ),
        (
            json!({"channel_id": ch, "content": "x", "scheduled_at": rfc3339(in_seconds(2.0 * 366.0 * 86_400.0))}),
            "scheduled_at",
        ),
        (
            json!({"channel_id": ch, "content": "x", "scheduled_at": "tomorrow"}),
            "scheduled_at",
        ),
        (
            json!({"channel_id": ch, "content": "x", "status": "published"}),
            "status",
        ),
        (
            json!({"channel_id": ch, "content": "x", "webhook_id": "msg_mine"}),
            "webhook_id",
        ),
    ];
    for (body, field) in cases {
        let resp = editor.post_json("/v1/posts", &body).await;
        resp.validation_failed(&[field]);
    }
    assert!(list_every(&editor, "/v1/posts", &[]).await.is_empty());
    // 5,000 characters (not bytes) is still fine.
    let long = "é".repeat(5000);
    editor
        .post_json("/v1/posts", &json!({"channel_id": ch, "content": long}))
        .await
        .expect_status(201);
}

#[tokio::test]
async fn bad_post_changes_are_refused_and_change_nothing() {
    let tenant = Tenant::new();
    let editor = tenant.bulk("editor");
    let channel = TestChannel::ok(&tenant).await;
    let post = create_post(&editor, &channel.id, Some(in_seconds(3600.0))).await;
    let id = str_of(&post, "id");
    let path = format!("/v1/posts/{id}");
    for (body, field) in [
        (json!({"content": ""}), "content"),
        (json!({"media_urls": ["ftp://x"]}), "media_urls[0]"),
        (
            json!({"scheduled_at": rfc3339(in_seconds(-3600.0))}),
            "scheduled_at",
        ),
        (json!({"channel_id": channel.id}), "channel_id"),
        (json!({"status": "draft"}), "status"),
    ] {
        patch(&editor, &path, &body)
            .await
            .validation_failed(&[field]);
    }
    assert_eq!(get_post(&editor, id).await, post);
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let tenant = Tenant::new();
    let viewer = tenant.bulk("viewer");
    for (query, field) in [
        (vec![("status", "sent")], "status"),
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "101")], "limit"),
        (vec![("from", "yesterday")], "from"),
        (vec![("channel_id", "x")], "channel_id"),
    ] {
        viewer
            .get_query("/v1/posts", &query)
            .await
            .validation_failed(&[field]);
    }
    viewer
        .get_query("/v1/posts", &[("cursor", "garbage")])
        .await
        .invalid_cursor();
    viewer
        .get_query("/v1/channels", &[("cursor", "garbage")])
        .await
        .invalid_cursor();
}
