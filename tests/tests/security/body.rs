//! Request bodies an attacker controls: too big (however it is sent), too deep, not UTF-8, not
//! JSON, or carrying fields the server owns. Each is refused with the right problem and writes
//! nothing; a body on a route that takes none is ignored and changes nothing.

use ofauto_tests::api::Api;
use ofauto_tests::fixtures::{create_event, Tenant};
use ofauto_tests::raw;
use reqwest::Method;
use serde_json::{json, Value};

use super::{assert_empty, assert_untouched, id_of, tenant_with_event, ANALYTICS};

/// Posts raw bytes with `content_type` as a fresh tenant's editor; returns the tenant to check.
async fn post(bytes: Vec<u8>, content_type: &str) -> (Tenant, ofauto_tests::Resp) {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let resp = api
        .send(
            Method::POST,
            api.url("/v1/events"),
            Some((bytes, content_type)),
            &[],
        )
        .await;
    (tenant, resp)
}

/// A body sent chunked declares no length; the function still counts what arrives and refuses
/// more than 64 KiB.
#[tokio::test]
async fn a_chunked_body_over_64_kib_is_413() {
    let tenant = Tenant::new();
    let token = tenant.token("editor");
    let mut body = br#"{"type":"chunked","source":""#.to_vec();
    body.resize(70 * 1024, b'x');
    body.extend_from_slice(br#""}"#);
    let head = raw::head(
        "POST /v1/events HTTP/1.1",
        Some(&token),
        &[
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    let resp = raw::send(&head, &raw::chunked(&body, 8 * 1024)).await;
    assert_eq!(resp.status, 413, "{resp:?}");
    assert_eq!(
        resp.json()["type"],
        "https://ofauto.dev/problems/payload-too-large",
        "{resp:?}"
    );
    assert_empty(&tenant).await;
}

/// Past the gateway's own 10 MiB limit the gateway refuses the body by its declared length,
/// before reading it or invoking anything. (Sent by hand: the answer comes while a client library
/// would still be uploading, and it would report the early close as a failure.)
#[tokio::test]
async fn a_declared_length_over_the_gateway_limit_is_413() {
    let tenant = Tenant::new();
    let token = tenant.token("editor");
    let declared = (11 * 1024 * 1024).to_string();
    let head = raw::head(
        "POST /v1/events HTTP/1.1",
        Some(&token),
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", &declared),
        ],
    );
    let resp = raw::try_send(&head, br#"{"type":"huge","source":"xxxxxxxx"#).await;
    if let Some(resp) = resp {
        assert_eq!(resp.status, 413, "{resp:?}");
    }
    assert_empty(&tenant).await;
}

/// 30,000 nested arrays: well-formed and within 64 KiB, but past the parser's recursion limit.
/// A 400, not a crashed function, and the next request is served normally.
#[tokio::test]
async fn deeply_nested_json_is_400_not_a_crash() {
    let depth = 30_000;
    let mut body = br#"{"type":"deep","properties":{"a":"#.to_vec();
    body.extend(std::iter::repeat_n(b'[', depth));
    body.extend(std::iter::repeat_n(b']', depth));
    body.extend_from_slice(b"}}");
    assert!(body.len() <= 64 * 1024);
    let (tenant, resp) = post(body, "application/json").await;
    resp.problem(400, "malformed-json");
    resp.assert_security_headers(true);
    assert_empty(&tenant).await;
    // Still serving.
    create_event(&tenant.editor(), &json!({"type": "after.deep"})).await;
}

/// 120 levels of objects parse (the parser allows 128) and are then refused by the depth rule.
#[tokio::test]
async fn nesting_just_under_the_parser_limit_is_400_properties() {
    let depth = 120;
    let mut inner = String::from("1");
    for _ in 0..depth {
        inner = format!("{{\"a\":{inner}}}");
    }
    let body = format!(r#"{{"type":"deep","properties":{inner}}}"#);
    let (tenant, resp) = post(body.into_bytes(), "application/json").await;
    resp.validation_failed(&["properties"]);
    assert_empty(&tenant).await;
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_400() {
    let mut body = br#"{"type":"bytes","source":""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, 0x80]);
    body.extend_from_slice(br#""}"#);
    let (tenant, resp) = post(body, "application/json").await;
    resp.problem(400, "malformed-json");
    assert_empty(&tenant).await;
}

/// What an HTML form can post cross-site without a preflight is not JSON: it creates nothing.
#[tokio::test]
async fn a_form_encoded_body_creates_nothing() {
    let (tenant, resp) = post(
        b"type=csrf.attempt&source=evil".to_vec(),
        "application/x-www-form-urlencoded",
    )
    .await;
    resp.problem(400, "malformed-json");
    assert_empty(&tenant).await;
}

/// Mass assignment: fields the server owns, including the storage attributes behind the API,
/// are unknown fields. All of them are named, and none is written.
#[tokio::test]
async fn server_owned_and_storage_fields_cannot_be_assigned() {
    let other = Tenant::new();
    let body = json!({
        "type": "mass.assign",
        "id": ulid::Ulid::new().to_string(),
        "created_at": "2020-01-01T00:00:00Z",
        "tenant": other.id,
        "tenant_id": other.id,
        "pk": format!("T#{}#EV", other.id),
        "sk": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "gsi1pk": format!("T#{}#EVT#mass.assign", other.id),
        "gsi1sk": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "entity": "idempotency",
        "expires_at": 0,
    });
    let (tenant, resp) = post(serde_json::to_vec(&body).unwrap(), "application/json").await;
    let problem = resp.validation_failed(&[
        "id",
        "created_at",
        "tenant",
        "tenant_id",
        "pk",
        "sk",
        "gsi1pk",
        "gsi1sk",
        "entity",
        "expires_at",
    ]);
    for field in problem.fields() {
        assert_eq!(
            problem.message_for(&field).as_deref(),
            Some("unknown field")
        );
    }
    assert_empty(&tenant).await;
    assert_empty(&other).await;
}

/// A JSON body on a read, naming another tenant, a filter and a limit: ignored entirely.
fn decoy_body(other: &Tenant) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "tenant_id": other.id,
        "type": "keep.me",
        "limit": 1,
        "from": "2000-01-01T00:00:00Z",
        "granularity": "day",
        "KeyConditionExpression": "begins_with(pk, :p)",
        "ExpressionAttributeValues": {":p": {"S": "T#"}},
    }))
    .unwrap()
}

async fn read_with_and_without_body(api: &Api, path: &str, other: &Tenant) {
    let plain = api.get(path).await;
    let with_body = api
        .send(
            Method::GET,
            api.url(path),
            Some((decoy_body(other), "application/json")),
            &[],
        )
        .await;
    let expected: Value = plain.ok_json(200);
    let actual: Value = with_body.ok_json(200);
    assert_eq!(
        actual, expected,
        "the body changed the answer:\n{with_body}"
    );
    assert!(!with_body.body.contains(&other.id), "{with_body}");
}

#[tokio::test]
async fn a_body_on_a_list_is_ignored() {
    let (tenant, _) = tenant_with_event().await;
    let (other, _) = tenant_with_event().await;
    read_with_and_without_body(&tenant.viewer(), "/v1/events", &other).await;
}

#[tokio::test]
async fn a_body_on_a_get_is_ignored() {
    let (tenant, event) = tenant_with_event().await;
    let (other, _) = tenant_with_event().await;
    let path = format!("/v1/events/{}", id_of(&event));
    read_with_and_without_body(&tenant.viewer(), &path, &other).await;
}

#[tokio::test]
async fn a_body_on_analytics_is_ignored() {
    let (tenant, _) = tenant_with_event().await;
    let (other, _) = tenant_with_event().await;
    read_with_and_without_body(&tenant.viewer(), ANALYTICS, &other).await;
}

/// A DELETE acts on the id in its path only: a body naming another event is ignored.
#[tokio::test]
async fn a_body_on_a_delete_is_ignored() {
    let (tenant, keep) = tenant_with_event().await;
    let api = tenant.editor();
    let doomed = create_event(&api, &json!({"type": "doomed"})).await;
    let body = serde_json::to_vec(&json!({"id": keep["id"], "ids": [keep["id"]]})).unwrap();
    let resp = api
        .send(
            Method::DELETE,
            api.url(&format!("/v1/events/{}", id_of(&doomed))),
            Some((body, "application/json")),
            &[],
        )
        .await;
    resp.expect_status(204);
    assert_untouched(&tenant, &keep).await;
}

/// Duplicate keys: whichever one the parser keeps, it is the one validated and the one stored;
/// a second copy cannot smuggle an unvalidated value past the checks.
#[tokio::test]
async fn duplicate_keys_cannot_smuggle_an_unvalidated_value() {
    let tenant = Tenant::new();
    let long = "s".repeat(200);
    let cases = [
        r#"{"type":"dup.ok","type":"Bad Type"}"#.to_owned(),
        format!(r#"{{"type":"dup.ok","source":"ok","source":"{long}"}}"#),
        r#"{"type":"dup.ok","properties":{},"properties":[1]}"#.to_owned(),
    ];
    for body in cases {
        let resp = post_as(&tenant, body.into_bytes()).await;
        assert_eq!(resp.status, 400, "{resp}");
    }
    // The other order: the valid copy last. If accepted, what is stored is exactly it.
    for body in [
        r#"{"type":"Bad Type","type":"dup.ok"}"#.to_owned(),
        format!(r#"{{"type":"dup.ok","source":"{long}","source":"ok"}}"#),
    ] {
        let resp = post_as(&tenant, body.into_bytes()).await;
        if resp.status == 201 {
            let event = resp.json();
            assert_eq!(event["type"], "dup.ok", "{resp}");
            assert!(
                event["source"].is_null() || event["source"] == "ok",
                "{resp}"
            );
            let stored = tenant
                .viewer()
                .get(&format!("/v1/events/{}", id_of(&event)))
                .await
                .ok_json(200);
            assert_eq!(stored, event);
        } else {
            assert_eq!(resp.status, 400, "{resp}");
        }
    }
}

async fn post_as(tenant: &Tenant, bytes: Vec<u8>) -> ofauto_tests::Resp {
    let api = tenant.editor();
    api.send(
        Method::POST,
        api.url("/v1/events"),
        Some((bytes, "application/json")),
        &[],
    )
    .await
}

/// How many `errors` entries a problem lists at most.
const MAX_ERRORS: usize = 20;

/// A body of thousands of unknown fields used to draw one `errors` entry each (3,800 fields, a
/// 158 KB answer: an amplifier). The answer lists the first 20, says how many there were, stays
/// small, and nothing is written.
#[tokio::test]
async fn thousands_of_unknown_fields_get_a_small_400_listing_the_first_20() {
    let unknown = 3_800;
    let mut body = serde_json::Map::new();
    body.insert("type".into(), json!("many.fields"));
    for i in 0..unknown {
        body.insert(format!("f{i:04}"), json!(0));
    }
    let bytes = serde_json::to_vec(&body).unwrap();
    assert!(bytes.len() <= 64 * 1024, "{} bytes", bytes.len());
    let (tenant, resp) = post(bytes, "application/json").await;
    let problem = resp.problem(400, "validation-failed");
    resp.assert_security_headers(true);
    let fields = problem.fields();
    let first: Vec<String> = (0..MAX_ERRORS).map(|i| format!("f{i:04}")).collect();
    assert_eq!(
        fields, first,
        "the first 20 unknown fields, in order:\n{resp}"
    );
    let detail = problem.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("first {MAX_ERRORS} of {unknown}")),
        "the detail says how many there were:\n{resp}"
    );
    assert!(
        resp.body.len() < 4 * 1024,
        "{} bytes:\n{resp}",
        resp.body.len()
    );
    assert_empty(&tenant).await;
}

/// The cap keeps the known fields' errors: they come first, before any unknown field.
#[tokio::test]
async fn known_field_errors_survive_the_cap() {
    let mut body = serde_json::Map::new();
    body.insert("type".into(), json!("Bad Type"));
    body.insert("source".into(), json!("s".repeat(200)));
    for i in 0..100 {
        body.insert(format!("u{i:03}"), json!(null));
    }
    let (tenant, resp) = post(serde_json::to_vec(&body).unwrap(), "application/json").await;
    let problem = resp.problem(400, "validation-failed");
    let fields = problem.fields();
    assert_eq!(fields.len(), MAX_ERRORS, "{resp}");
    assert_eq!(fields[..2], ["type", "source"], "{resp}");
    let detail = problem.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("first {MAX_ERRORS} of 102")),
        "{resp}"
    );
    assert_empty(&tenant).await;
}

/// Exactly the cap is listed in full, with no note.
#[tokio::test]
async fn twenty_errors_are_listed_in_full() {
    let mut body = serde_json::Map::new();
    body.insert("type".into(), json!("few.fields"));
    for i in 0..MAX_ERRORS {
        body.insert(format!("u{i:02}"), json!(1));
    }
    let (tenant, resp) = post(serde_json::to_vec(&body).unwrap(), "application/json").await;
    let problem = resp.problem(400, "validation-failed");
    assert_eq!(problem.fields().len(), MAX_ERRORS, "{resp}");
    let detail = problem.body["detail"].as_str().unwrap_or_default();
    assert!(!detail.contains(" of "), "{resp}");
    assert_empty(&tenant).await;
}
