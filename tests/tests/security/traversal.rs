//! Path traversal: `../` in paths (sent literally over a raw socket, since URL parsers resolve it
//! away, and percent-encoded) and in query values. Routes match segments exactly and nothing
//! resolves dot segments, so no path reaches another route, and no id reaches another tenant.

use ofauto_tests::fixtures::create_event;
use ofauto_tests::raw::{self, RawResponse};
use serde_json::json;

use super::{assert_untouched, id_of, tenant_with_event};

/// A raw request; `token` adds `Authorization`.
async fn raw_request(method: &str, path: &str, token: Option<&str>) -> RawResponse {
    raw::send(
        &raw::head(&format!("{method} {path} HTTP/1.1"), token, &[]),
        b"",
    )
    .await
}

#[track_caller]
fn assert_not_found(resp: &RawResponse, secrets: &[&str]) {
    assert_eq!(resp.status, 404, "{resp:?}");
    assert_eq!(
        resp.json()["type"],
        "https://ofauto.dev/problems/not-found",
        "{resp:?}"
    );
    for secret in secrets {
        assert!(!resp.body.contains(secret), "{secret} leaked: {resp:?}");
    }
}

#[tokio::test]
async fn literal_dot_dot_segments_reach_no_other_event() {
    let (a, a_event) = tenant_with_event().await;
    let (b, b_event) = tenant_with_event().await;
    let a_id = id_of(&a_event);
    let b_id = id_of(&b_event);
    let b_token = b.token("admin");
    for path in [
        format!("/v1/events/../events/{a_id}"),
        format!("/v1/events/{b_id}/../{a_id}"),
        format!("/v1/events/./{a_id}"),
        format!("/v1/analytics/../events/{a_id}"),
        format!("/v1/events/{b_id}/../../events/{a_id}"),
    ] {
        let resp = raw_request("GET", &path, Some(&b_token)).await;
        assert_not_found(&resp, &[&a_id, &a.id]);
    }
    assert_untouched(&a, &a_event).await;
}

/// A dot-dot path that starts at the open `/health` route must not land on a tenant route
/// without a token.
#[tokio::test]
async fn literal_dot_dot_from_an_open_route_reaches_no_tenant_route() {
    let (a, a_event) = tenant_with_event().await;
    let a_id = id_of(&a_event);
    for path in [
        "/health/../v1/events".to_owned(),
        format!("/health/../v1/events/{a_id}"),
        "/nope/../../v1/events".to_owned(),
    ] {
        let resp = raw_request("GET", &path, None).await;
        assert_not_found(&resp, &[&a_id, &a.id]);
        assert!(resp.body.find("\"items\"").is_none(), "{resp:?}");
    }
}

#[tokio::test]
async fn literal_dot_dot_in_a_delete_path_deletes_nothing() {
    let (a, a_event) = tenant_with_event().await;
    let (b, b_event) = tenant_with_event().await;
    let a_id = id_of(&a_event);
    let b_id = id_of(&b_event);
    for (token, path) in [
        (b.token("admin"), format!("/v1/events/../events/{a_id}")),
        (b.token("admin"), format!("/v1/events/{b_id}/../{a_id}")),
        (a.token("admin"), format!("/v1/events/{a_id}/..")),
    ] {
        let resp = raw_request("DELETE", &path, Some(&token)).await;
        assert_ne!(resp.status / 100, 2, "{path}: {resp:?}");
    }
    assert_untouched(&a, &a_event).await;
    assert_untouched(&b, &b_event).await;
}

/// Encoded slashes and dots stay inside the id segment: the id is malformed, so 404, even when
/// the rest of it is the caller's own event.
#[tokio::test]
async fn encoded_dot_dot_in_an_event_id_is_404() {
    let (a, a_event) = tenant_with_event().await;
    let a_id = id_of(&a_event);
    let api = a.bulk("admin");
    for id in [
        format!("..%2F{a_id}"),
        format!("..%2f..%2f..%2fevents%2f{a_id}"),
        format!("%2e%2e%2F{a_id}"),
        format!("..%5C{a_id}"),
        format!("%252e%252e%252f{a_id}"),
        format!("{a_id}%2F.."),
        format!("{a_id}%00"),
        "..%2F..%2Fhealth".to_owned(),
    ] {
        let path = format!("/v1/events/{id}");
        let resp = api.get(&path).await;
        resp.problem(404, "not-found");
        assert!(!resp.body.contains("keep.me"), "{resp}");
        api.delete(&path).await.problem(404, "not-found");
    }
    assert_untouched(&a, &a_event).await;
}

#[tokio::test]
async fn dot_dot_in_query_values_is_400() {
    let (a, _) = tenant_with_event().await;
    let api = a.bulk("viewer");
    for value in [
        "../keep.me",
        "..%2F..%2Fetc%2Fpasswd",
        "../../../../etc/passwd",
        "..\\..\\",
    ] {
        for field in ["type", "from", "to", "limit"] {
            api.get_query("/v1/events", &[(field, value)])
                .await
                .validation_failed(&[field]);
        }
        api.get_query("/v1/events", &[("cursor", value)])
            .await
            .invalid_cursor();
        for (field, query) in [
            (
                "type",
                vec![
                    ("from", "2025-01-01T00:00:00Z"),
                    ("to", "2025-01-02T00:00:00Z"),
                    ("type", value),
                ],
            ),
            (
                "granularity",
                vec![
                    ("from", "2025-01-01T00:00:00Z"),
                    ("to", "2025-01-02T00:00:00Z"),
                    ("granularity", value),
                ],
            ),
        ] {
            api.get_query("/v1/analytics/events", &query)
                .await
                .validation_failed(&[field]);
        }
    }
}

/// In free text a traversal string is just text.
#[tokio::test]
async fn traversal_strings_in_free_text_are_data() {
    let (a, _) = tenant_with_event().await;
    let api = a.editor();
    let properties = json!({
        "../../etc/passwd": "..\\..\\windows\\win.ini",
        "file": "file:///etc/passwd",
        "nested": {"..": {"..": "/"}}
    });
    let event = create_event(
        &api,
        &json!({"type": "trav.text", "source": "../../../../etc/passwd", "properties": properties}),
    )
    .await;
    let stored = api
        .get(&format!("/v1/events/{}", id_of(&event)))
        .await
        .ok_json(200);
    assert_eq!(stored, event);
    assert_eq!(stored["source"], "../../../../etc/passwd");
    assert_eq!(stored["properties"], properties);
}
