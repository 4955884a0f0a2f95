//! Control characters: NUL, ESC, DEL and CR/LF in free text are data (stored and returned as
//! sent, JSON-escaped, never in a header); in structured inputs they are refused; in a path they
//! name nothing. CR/LF never splits a response header.

use ofauto_tests::api::Resp;
use ofauto_tests::fixtures::Tenant;
use ofauto_tests::raw;
use serde_json::{json, Value};

use super::{
    assert_empty, encode, id_of, properties_round_trip, sources_round_trip, tenant_with_event,
};

const CONTROL: [&str; 8] = [
    "nul\u{0}byte",
    "\u{1b}[31mred\u{1b}[0m",
    "bell\u{7}",
    "del\u{7f}",
    "tab\tand\u{b}vtab",
    "line\nfeed",
    "carriage\rreturn",
    "\u{0}\u{1}\u{2}\u{3}\u{1f}",
];

/// Injected headers a vulnerable echo would produce.
#[track_caller]
fn assert_no_injected_headers(resp: &Resp) {
    for name in ["set-cookie", "x-injected", "location-injected"] {
        assert!(resp.header(name).is_none(), "{name} was injected:\n{resp}");
    }
}

#[tokio::test]
async fn control_characters_in_source_are_stored_verbatim() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    for (_, resp) in sources_round_trip(&api, "ctl.source", &CONTROL).await {
        // JSON-escaped on the wire: no raw control byte in the body.
        assert!(
            !resp.body.bytes().any(|b| b < 0x20),
            "a raw control byte in:\n{resp}"
        );
    }
}

/// Header injection: CR/LF in `source` (the one free-text field) reaches no header, on the
/// create, the read or the list.
#[tokio::test]
async fn crlf_in_source_injects_no_header() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let source = "web\r\nSet-Cookie: session=evil\r\nX-Injected: 1\r\n\r\n<html>";
    let resp = api
        .post_json("/v1/events", &json!({"type": "ctl.crlf", "source": source}))
        .await;
    assert_no_injected_headers(&resp);
    let event = resp.ok_json(201);
    assert_eq!(event["source"], source);
    let id = id_of(&event);
    assert_eq!(
        resp.header("location"),
        Some(format!("/v1/events/{id}").as_str())
    );
    let read = api.get(&format!("/v1/events/{id}")).await;
    assert_no_injected_headers(&read);
    assert_eq!(read.ok_json(200)["source"], source);
    let list = api.get("/v1/events").await;
    assert_no_injected_headers(&list);
    assert_eq!(list.ok_json(200)["items"][0]["source"], source);
}

#[tokio::test]
async fn control_characters_in_property_keys_and_values_are_stored_verbatim() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let mut properties = serde_json::Map::new();
    for (i, s) in CONTROL.iter().enumerate() {
        properties.insert((*s).to_owned(), json!(s));
        properties.insert(format!("k{i}"), json!([s, {"nested": s}]));
    }
    properties_round_trip(&api, "ctl.props", &Value::Object(properties)).await;
}

/// A control character makes a type invalid; it is never truncated at the NUL or stripped.
#[tokio::test]
async fn control_characters_in_the_type_are_400() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    for ty in ["a\u{0}b", "a\u{0}", "a\r\nb", "a\u{1b}", "a\t", "a\u{7f}"] {
        api.post_json("/v1/events", &json!({"type": ty}))
            .await
            .validation_failed(&["type"]);
    }
    assert_empty(&tenant).await;
}

#[tokio::test]
async fn control_characters_in_query_values_are_400_and_inject_nothing() {
    let (tenant, _) = tenant_with_event().await;
    let api = tenant.bulk("viewer");
    for value in [
        "keep.me\u{0}",
        "keep.me\r\nX-Injected: 1",
        "\u{1b}[2J",
        "keep.me%00",
    ] {
        for field in ["type", "from", "limit"] {
            let resp = api.get_query("/v1/events", &[(field, value)]).await;
            assert_no_injected_headers(&resp);
            resp.validation_failed(&[field]);
        }
        let resp = api.get_query("/v1/events", &[("cursor", value)]).await;
        assert_no_injected_headers(&resp);
        resp.invalid_cursor();
        let resp = api
            .get_query(
                "/v1/analytics/events",
                &[
                    ("from", "2025-01-01T00:00:00Z"),
                    ("to", "2025-01-02T00:00:00Z"),
                    ("type", value),
                ],
            )
            .await;
        assert_no_injected_headers(&resp);
        resp.validation_failed(&["type"]);
    }
}

/// Encoded CR/LF and NUL in a path name no event and split no header.
#[tokio::test]
async fn control_characters_in_an_event_id_are_404() {
    let (tenant, event) = tenant_with_event().await;
    let api = tenant.bulk("admin");
    let id = id_of(&event);
    for bad in [
        format!("{id}\r\nSet-Cookie: a=b"),
        format!("{id}\u{0}"),
        format!("\u{0}{id}"),
        "\r\nX-Injected: 1".to_owned(),
    ] {
        let path = format!("/v1/events/{}", encode(&bad));
        let resp = api.get(&path).await;
        assert_no_injected_headers(&resp);
        resp.problem(404, "not-found");
        let resp = api.delete(&path).await;
        assert_no_injected_headers(&resp);
        resp.problem(404, "not-found");
    }
    assert_eq!(
        api.get(&format!("/v1/events/{id}")).await.ok_json(200),
        event
    );
}

/// A raw CR/LF in the request line is the HTTP server's to refuse: the request never reaches a
/// route, and nothing answers with an injected header.
#[tokio::test]
async fn a_raw_crlf_in_the_request_line_is_refused() {
    let (tenant, event) = tenant_with_event().await;
    let token = tenant.token("admin");
    let head = vec![
        format!(
            "DELETE /v1/events/{}\rX-Injected: 1 HTTP/1.1",
            id_of(&event)
        )
        .into_bytes(),
        format!("Authorization: Bearer {token}").into_bytes(),
    ];
    // The server either answers 4xx or just drops the connection.
    if let Some(resp) = raw::try_send(&head, b"").await {
        assert!(resp.status >= 400 && resp.status < 500, "{resp:?}");
        assert!(resp.header("x-injected").is_none(), "{resp:?}");
    }
    super::assert_untouched(&tenant, &event).await;
}
