//! `Idempotency-Key` on `POST /v1/events`: a retry replays the first answer; the key cannot be
//! reused for another request; malformed keys are refused; racing duplicates create one event;
//! a lease left by a crashed invocation is reclaimed, and a live one is waited for, not stolen.

use std::time::{Duration, Instant};

use futures::future::join_all;
use ofauto_tests::api::{Api, Resp};
use ofauto_tests::dynamo;
use ofauto_tests::fixtures::{created, list_all, Tenant};
use ofauto_tests::raw;
use ofauto_tests::stack;
use ofauto_tests::tokens::TokenSpec;
use reqwest::Method;
use serde_json::Value;

use super::assert_empty;

fn fresh_key() -> String {
    format!("key-{}", ulid::Ulid::new())
}

async fn post(api: &Api, body: &[u8], key: &str) -> Resp {
    api.send(
        Method::POST,
        api.url("/v1/events"),
        Some((body.to_vec(), "application/json")),
        &[("idempotency-key", key)],
    )
    .await
}

async fn stored(tenant: &Tenant) -> Vec<Value> {
    list_all(&tenant.bulk("viewer"), &[], 100).await
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_answer() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let key = fresh_key();
    let body = br#"{"type":"idem.replay","properties":{"n":1}}"#;
    let first = post(&api, body, &key).await;
    let event = created(&first);
    assert!(first.header("idempotency-replayed").is_none(), "{first}");

    for _ in 0..3 {
        let again = post(&api, body, &key).await;
        again.expect_status(201);
        assert_eq!(
            again.header("idempotency-replayed"),
            Some("true"),
            "{again}"
        );
        assert_eq!(again.json(), event, "the replay is the first answer");
        assert_eq!(again.header("location"), first.header("location"));
        assert_eq!(again.content_type().as_deref(), Some("application/json"));
        again.assert_security_headers(true);
        assert!(again.header("ratelimit-remaining").is_some(), "{again}");
    }
    assert_eq!(stored(&tenant).await, vec![event]);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422_and_writes_nothing() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let key = fresh_key();
    let event = created(&post(&api, br#"{"type":"idem.first"}"#, &key).await);
    for other in [
        br#"{"type":"idem.second"}"#.to_vec(),
        br#"{"type":"idem.first","source":"x"}"#.to_vec(),
        b"not even json".to_vec(),
    ] {
        let resp = post(&api, &other, &key).await;
        resp.problem(422, "idempotency-key-reused");
        resp.assert_security_headers(true);
        assert!(resp.header("idempotency-replayed").is_none(), "{resp}");
        assert!(
            !resp
                .body
                .contains(&event["id"].as_str().unwrap().to_owned()),
            "{resp}"
        );
    }
    assert_eq!(stored(&tenant).await, vec![event]);
}

/// The fingerprint is over the bytes sent: the same JSON laid out differently is another body.
#[tokio::test]
async fn a_byte_different_body_is_another_body() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let key = fresh_key();
    let event = created(&post(&api, br#"{"type":"idem.bytes"}"#, &key).await);
    post(&api, br#"{ "type": "idem.bytes" }"#, &key)
        .await
        .problem(422, "idempotency-key-reused");
    assert_eq!(stored(&tenant).await, vec![event]);
}

/// The key is what deduplicates, not the body: two keys, two events.
#[tokio::test]
async fn the_same_body_under_two_keys_is_two_events() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let body = br#"{"type":"idem.twice"}"#;
    let one = created(&post(&api, body, &fresh_key()).await);
    let two = created(&post(&api, body, &fresh_key()).await);
    assert_ne!(one["id"], two["id"]);
    assert_eq!(stored(&tenant).await.len(), 2);
}

/// 50 concurrent creates with one key: one event; every answer is that event (one original, 49
/// replays).
#[tokio::test]
async fn fifty_concurrent_posts_with_one_key_create_one_event() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    let key = fresh_key();
    let body = br#"{"type":"idem.race","properties":{"racers":50}}"#;
    let resps = join_all((0..50).map(|_| post(&api, body, &key))).await;
    let first = created(&resps[0]);
    let mut originals = 0;
    for resp in &resps {
        let event = created(resp);
        assert_eq!(event, first, "every racer sees the one event:\n{resp}");
        match resp.header("idempotency-replayed") {
            None => originals += 1,
            Some("true") => {}
            Some(other) => panic!("Idempotency-Replayed: {other}:\n{resp}"),
        }
    }
    assert_eq!(originals, 1, "exactly one answer is the original");
    assert_eq!(stored(&tenant).await, vec![first]);
}

/// An in-progress record whose lease has passed was left by an invocation that died: the next
/// request with the key claims it and runs (201 at once), instead of waiting or failing.
#[tokio::test]
async fn an_abandoned_lease_is_reclaimed() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let key = fresh_key();
    let body = br#"{"type":"idem.crashed"}"#;
    let expired = chrono::Utc::now().timestamp_millis() - 60_000;
    dynamo::put_in_progress_idempotency_record(&tenant.id, &key, body, expired).await;

    let clock = Instant::now();
    let resp = post(&api, body, &key).await;
    let event = created(&resp);
    assert!(resp.header("idempotency-replayed").is_none(), "{resp}");
    assert!(
        clock.elapsed() < Duration::from_secs(3),
        "reclaimed at once, not after a wait: {:?}",
        clock.elapsed()
    );
    // The record is now the completed one: a retry replays it.
    let again = post(&api, body, &key).await;
    assert_eq!(
        again.header("idempotency-replayed"),
        Some("true"),
        "{again}"
    );
    assert_eq!(again.json(), event);
    assert_eq!(stored(&tenant).await, vec![event]);
}

/// A record still under a live lease belongs to a running invocation: a duplicate waits until the
/// lease passes and only then claims it. It never runs alongside the holder.
#[tokio::test]
async fn a_live_lease_is_waited_out_not_stolen() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let key = fresh_key();
    let body = br#"{"type":"idem.live"}"#;
    let lease = Duration::from_millis(1_500);
    let until = chrono::Utc::now().timestamp_millis() + lease.as_millis() as i64;
    dynamo::put_in_progress_idempotency_record(&tenant.id, &key, body, until).await;

    let clock = Instant::now();
    let resp = post(&api, body, &key).await;
    let waited = clock.elapsed();
    let event = created(&resp);
    assert!(
        waited >= lease - Duration::from_millis(300),
        "answered after {waited:?}, inside the holder's lease of {lease:?}"
    );
    assert_eq!(stored(&tenant).await, vec![event]);
}

/// A live record for another body is a reused key, whoever holds it.
#[tokio::test]
async fn a_live_lease_for_another_body_is_422() {
    let tenant = Tenant::new();
    let key = fresh_key();
    let until = chrono::Utc::now().timestamp_millis() + 60_000;
    dynamo::put_in_progress_idempotency_record(&tenant.id, &key, br#"{"type":"x"}"#, until).await;
    post(&tenant.editor(), br#"{"type":"y"}"#, &key)
        .await
        .problem(422, "idempotency-key-reused");
    assert_empty(&tenant).await;
}

/// A request that fails (400, 403) is not remembered: the key stays free for the corrected
/// request, which is then created, not answered with 422 or a replayed error.
#[tokio::test]
async fn a_failed_request_does_not_burn_its_key() {
    let tenant = Tenant::new();
    let key = fresh_key();
    post(&tenant.editor(), br#"{"type":"Bad Type"}"#, &key)
        .await
        .validation_failed(&["type"]);
    post(&tenant.viewer(), br#"{"type":"idem.denied"}"#, &key)
        .await
        .problem(403, "forbidden");
    assert_empty(&tenant).await;
    let resp = post(&tenant.editor(), br#"{"type":"idem.fixed"}"#, &key).await;
    let event = created(&resp);
    assert!(resp.header("idempotency-replayed").is_none(), "{resp}");
    assert_eq!(stored(&tenant).await, vec![event]);
}

/// A malformed key is a 400 naming `Idempotency-Key`, and nothing is created.
#[track_caller]
fn assert_bad_key(resp: &Resp) {
    resp.validation_failed(&["Idempotency-Key"]);
    resp.assert_security_headers(true);
}

#[tokio::test]
async fn an_empty_key_is_400() {
    let tenant = Tenant::new();
    assert_bad_key(&post(&tenant.editor(), br#"{"type":"idem.key"}"#, "").await);
    assert_empty(&tenant).await;
}

#[tokio::test]
async fn a_key_over_255_characters_is_400() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    for len in [256, 1024, 8000] {
        assert_bad_key(&post(&api, br#"{"type":"idem.key"}"#, &"k".repeat(len)).await);
    }
    assert_empty(&tenant).await;
    // 255 is the boundary, and fine.
    created(&post(&api, br#"{"type":"idem.key"}"#, &"k".repeat(255)).await);
}

#[tokio::test]
async fn a_non_ascii_key_is_400() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    for key in [
        "caf\u{e9}".as_bytes(),
        "\u{1D518}".as_bytes(),
        &[0x80, 0xff][..],
    ] {
        let url = api.url("/v1/events");
        let response = api
            .client()
            .post(&url)
            .bearer_auth(api.token().unwrap())
            .header("content-type", "application/json")
            .header(
                "idempotency-key",
                reqwest::header::HeaderValue::from_bytes(key).unwrap(),
            )
            .body(r#"{"type":"idem.key"}"#)
            .send()
            .await
            .unwrap();
        assert_bad_key(&Resp::read(Method::POST, url, response).await);
    }
    assert_empty(&tenant).await;
}

/// Control characters: a tab reaches the function and is refused there; bytes an HTTP parser
/// rejects outright (DEL, NUL, ESC) are refused before it. Either way, a 400 and no event.
#[tokio::test]
async fn a_key_with_control_characters_is_400() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    assert_bad_key(&post(&api, br#"{"type":"idem.key"}"#, "a\tb").await);
    let token = tenant.token("editor");
    let body = br#"{"type":"idem.key"}"#;
    for key in [&b"a\x7fb"[..], b"a\x00b", b"a\x1bb", b"\x01"] {
        let mut header = b"Idempotency-Key: ".to_vec();
        header.extend_from_slice(key);
        let mut head = raw::head(
            "POST /v1/events HTTP/1.1",
            Some(&token),
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", &body.len().to_string()),
            ],
        );
        head.push(header);
        if let Some(resp) = raw::try_send(&head, body).await {
            assert_eq!(resp.status, 400, "key {key:?}: {resp:?}");
        }
    }
    assert_empty(&tenant).await;
}

/// `post` is not `POST`, but if the gateway routes it to the create function anyway, the
/// idempotency layer must not be skipped for it: a retry must never create a second event.
#[tokio::test]
async fn a_lower_case_method_does_not_skip_idempotency() {
    let tenant = Tenant::new();
    let token = tenant.token("editor");
    let key = fresh_key();
    let body = br#"{"type":"idem.lowercase"}"#;
    let mut created = 0;
    for _ in 0..2 {
        let head = raw::head(
            "post /v1/events HTTP/1.1",
            Some(&token),
            &[
                ("Idempotency-Key", &key),
                ("Content-Type", "application/json"),
                ("Content-Length", &body.len().to_string()),
            ],
        );
        if let Some(resp) = raw::try_send(&head, body).await {
            if resp.status == 201 && resp.header("idempotency-replayed").is_none() {
                created += 1;
            }
        }
    }
    assert!(created <= 1, "two creates under one Idempotency-Key");
    assert!(
        stored(&tenant).await.len() <= 1,
        "two events under one Idempotency-Key"
    );
}

/// A duplicate of a request that is still running past the duplicate's own deadline gets 409
/// `conflict` (with the security headers), and it never runs the create itself.
#[tokio::test]
async fn a_duplicate_of_a_request_still_running_gets_409() {
    let tenant = Tenant::new();
    let key = fresh_key();
    let body = br#"{"type":"idem.held"}"#;
    let until = chrono::Utc::now().timestamp_millis() + 120_000;
    dynamo::put_in_progress_idempotency_record(&tenant.id, &key, body, until).await;
    // The duplicate waits for the holder until its own invocation deadline (the function's
    // 10 s timeout), then gives up.
    let resp = post(&tenant.editor(), body, &key).await;
    resp.problem(409, "conflict");
    resp.assert_security_headers(true);
    assert!(resp.header("idempotency-replayed").is_none(), "{resp}");
    assert_empty(&tenant).await;
}

/// Callers of the editor's own tenant who may not create: a viewer, a token with no
/// `cognito:groups`, one with an empty list, and one with only unknown groups.
fn callers_who_may_not_create(tenant: &Tenant) -> Vec<(&'static str, Api)> {
    let mut no_role = TokenSpec::new(&tenant.id, "viewer");
    no_role.groups = None;
    vec![
        ("viewer", tenant.viewer()),
        ("no role", Api::with_token(stack().tokens.mint(&no_role))),
        (
            "empty groups",
            Api::with_token(stack().tokens.token_with_groups(&tenant.id, &[])),
        ),
        (
            "unknown group",
            Api::with_token(stack().tokens.token_with_groups(&tenant.id, &["guest"])),
        ),
    ]
}

/// 403 `forbidden`, never the stored answer: no replay header, no trace of the event.
#[track_caller]
fn assert_refused_not_replayed(who: &str, resp: &Resp, event: &Value) {
    resp.problem(403, "forbidden");
    resp.assert_security_headers(true);
    assert!(
        resp.header("idempotency-replayed").is_none(),
        "{who}: a replay:\n{resp}"
    );
    assert!(
        resp.header("location").is_none(),
        "{who}: a Location:\n{resp}"
    );
    let id = event["id"].as_str().unwrap_or_default();
    assert!(!resp.body.contains(id), "{who}: the event leaked:\n{resp}");
}

/// A replay answers only a caller who could have made the original request: a viewer (or a
/// token with no role) that sends an editor's key and body gets 403, not the stored 201 — also
/// after the event was deleted, and also with another body (422 would confirm the key exists).
#[tokio::test]
async fn a_replay_is_refused_to_a_caller_who_may_not_create() {
    let tenant = Tenant::new();
    let editor = tenant.editor();
    let key = fresh_key();
    let body = br#"{"type":"idem.authz","properties":{"secret":"s3cr3t"}}"#;
    let event = created(&post(&editor, body, &key).await);

    for (who, api) in callers_who_may_not_create(&tenant) {
        let resp = post(&api, body, &key).await;
        assert_refused_not_replayed(who, &resp, &event);
        assert!(!resp.body.contains("s3cr3t"), "{who}:\n{resp}");
        let resp = post(&api, br#"{"type":"idem.other"}"#, &key).await;
        assert_refused_not_replayed(who, &resp, &event);
    }
    assert_eq!(stored(&tenant).await, vec![event.clone()]);

    let path = format!("/v1/events/{}", event["id"].as_str().unwrap_or_default());
    editor.delete(&path).await.expect_status(204);
    for (who, api) in callers_who_may_not_create(&tenant) {
        let resp = post(&api, body, &key).await;
        assert_refused_not_replayed(who, &resp, &event);
    }
    assert_empty(&tenant).await;

    // The positive control: the editor who made the request still gets its replay.
    let again = post(&editor, body, &key).await;
    assert_eq!(
        again.header("idempotency-replayed"),
        Some("true"),
        "{again}"
    );
    assert_eq!(again.json(), event);
}

/// Another editor of the same tenant could have made the request, so the replay is theirs too:
/// the check is the route's permission, not the identity of the first caller.
#[tokio::test]
async fn a_replay_answers_another_caller_with_the_permission() {
    let tenant = Tenant::new();
    let key = fresh_key();
    let body = br#"{"type":"idem.authz.ok"}"#;
    let event = created(&post(&tenant.editor(), body, &key).await);
    let resp = post(&tenant.admin(), body, &key).await;
    assert_eq!(resp.header("idempotency-replayed"), Some("true"), "{resp}");
    assert_eq!(created(&resp), event);
    assert_eq!(stored(&tenant).await, vec![event]);
}
