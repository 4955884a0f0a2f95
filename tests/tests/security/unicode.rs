//! Unicode at the edges: long astral-plane text, combining marks, invisible and bidi characters,
//! lone surrogates and look-alike letters. Text is stored and returned exactly (no normalising, no
//! truncating); limits count what they say (bytes for properties, characters for `source`); and
//! anything invalid is a 400.

use ofauto_tests::fixtures::{create_event, list_all, Tenant};
use reqwest::Method;
use serde_json::{json, Value};

use super::{assert_empty, id_of};

/// U+1D518 MATHEMATICAL FRAKTUR CAPITAL U: four bytes in UTF-8, a surrogate pair in JSON.
const ASTRAL: char = '\u{1D518}';
/// U+0301 COMBINING ACUTE ACCENT.
const COMBINING: char = '\u{301}';

async fn post_raw(tenant: &Tenant, body: Vec<u8>) -> ofauto_tests::Resp {
    let api = tenant.editor();
    api.send(
        Method::POST,
        api.url("/v1/events"),
        Some((body, "application/json")),
        &[],
    )
    .await
}

/// 4,000 astral characters (16,000 bytes serialised), sent as JSON surrogate-pair escapes: within
/// the 16 KiB limit, and read back as the same characters by id and in the list.
#[tokio::test]
async fn four_thousand_astral_characters_in_properties_are_stored_verbatim() {
    let tenant = Tenant::new();
    let text: String = std::iter::repeat_n(ASTRAL, 4_000).collect();
    let escaped = "\\ud835\\udd18".repeat(4_000);
    let body = format!(r#"{{"type":"uni.astral","properties":{{"k":"{escaped}"}}}}"#);
    let resp = post_raw(&tenant, body.into_bytes()).await;
    let event = ofauto_tests::fixtures::created(&resp);
    assert_eq!(event["properties"], json!({"k": text}));
    let api = tenant.viewer();
    let stored = api
        .get(&format!("/v1/events/{}", id_of(&event)))
        .await
        .ok_json(200);
    assert_eq!(
        stored["properties"]["k"].as_str().unwrap().chars().count(),
        4_000
    );
    assert_eq!(stored, event);
    assert_eq!(list_all(&api, &[], 100).await, vec![event]);
}

/// 5,000 astral characters are 20,000 bytes: over the 16 KiB properties limit, so 400, whether
/// sent as raw UTF-8 or as escapes.
#[tokio::test]
async fn five_thousand_astral_characters_in_properties_are_400() {
    let tenant = Tenant::new();
    let text: String = std::iter::repeat_n(ASTRAL, 5_000).collect();
    let raw =
        serde_json::to_vec(&json!({"type": "uni.astral", "properties": {"k": text}})).unwrap();
    post_raw(&tenant, raw)
        .await
        .validation_failed(&["properties"]);
    let escaped = "\\ud835\\udd18".repeat(5_000);
    let body = format!(r#"{{"type":"uni.astral","properties":{{"k":"{escaped}"}}}}"#);
    post_raw(&tenant, body.into_bytes())
        .await
        .validation_failed(&["properties"]);
    assert_empty(&tenant).await;
}

/// `source` allows 128 characters: 128 combining marks (each a character of its own, however
/// they render) are kept exactly.
#[tokio::test]
async fn a_source_of_128_combining_marks_is_stored_verbatim() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    for source in [
        std::iter::repeat_n(COMBINING, 128).collect::<String>(),
        std::iter::once('a')
            .chain(std::iter::repeat_n(COMBINING, 127))
            .collect(),
    ] {
        let event = create_event(&api, &json!({"type": "uni.zalgo", "source": source})).await;
        assert_eq!(event["source"], source.as_str());
        let stored = api
            .get(&format!("/v1/events/{}", id_of(&event)))
            .await
            .ok_json(200);
        assert_eq!(stored["source"], source.as_str());
    }
}

/// One more code point is one too many, although it is a single grapheme on screen.
#[tokio::test]
async fn a_source_of_129_code_points_is_400() {
    let tenant = Tenant::new();
    let source: String = std::iter::once('a')
        .chain(std::iter::repeat_n(COMBINING, 128))
        .collect();
    tenant
        .editor()
        .post_json(
            "/v1/events",
            &json!({"type": "uni.zalgo", "source": source}),
        )
        .await
        .validation_failed(&["source"]);
    assert_empty(&tenant).await;
}

/// Bidi overrides, zero-width characters, a BOM and non-characters: data, kept as sent.
#[tokio::test]
async fn invisible_and_bidi_characters_round_trip() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let tricky =
        "\u{202E}gnp.exe\u{202C} \u{200B}\u{200D}\u{FEFF}\u{2066}x\u{2069}\u{FFFF}\u{10FFFF}";
    let properties = json!({ tricky: tricky, "k": [tricky] });
    let event = create_event(
        &api,
        &json!({"type": "uni.bidi", "source": tricky, "properties": properties}),
    )
    .await;
    let stored = api
        .get(&format!("/v1/events/{}", id_of(&event)))
        .await
        .ok_json(200);
    assert_eq!(stored["source"], tricky);
    assert_eq!(stored["properties"], properties);
}

/// Text is not normalised: a decomposed `é` comes back decomposed, a precomposed one
/// precomposed.
#[tokio::test]
async fn text_is_not_normalised() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    for source in ["caf\u{e9}", "cafe\u{301}"] {
        let event = create_event(&api, &json!({"type": "uni.nfc", "source": source})).await;
        let stored = api
            .get(&format!("/v1/events/{}", id_of(&event)))
            .await
            .ok_json(200);
        assert_eq!(
            stored["source"].as_str().unwrap().as_bytes(),
            source.as_bytes()
        );
    }
}

/// A lone surrogate escape is not a character: the body is not valid JSON text.
#[tokio::test]
async fn a_lone_surrogate_escape_is_400() {
    let tenant = Tenant::new();
    for body in [
        r#"{"type":"uni.surrogate","source":"\ud800"}"#,
        r#"{"type":"uni.surrogate","source":"x\udc00y"}"#,
        r#"{"type":"uni.surrogate","properties":{"\ud83d":1}}"#,
    ] {
        post_raw(&tenant, body.as_bytes().to_vec())
            .await
            .problem(400, "malformed-json");
    }
    assert_empty(&tenant).await;
}

/// Look-alike letters (Cyrillic, full-width, dotless i, the Kelvin sign, the long s, a
/// zero-width joiner) are not ASCII: refused as a type and as a type filter, never folded onto
/// a real type.
#[tokio::test]
async fn look_alike_types_are_400() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    create_event(&api, &json!({"type": "signup"})).await;
    for ty in [
        "\u{455}ignup",
        "\u{ff53}ignup",
        "s\u{131}gnup",
        "\u{17f}ignup",
        "signup\u{200d}",
        "\u{212a}ey",
    ] {
        api.post_json("/v1/events", &json!({"type": ty}))
            .await
            .validation_failed(&["type"]);
        api.get_query("/v1/events", &[("type", ty)])
            .await
            .validation_failed(&["type"]);
    }
    assert_eq!(list_all(&api, &[], 100).await.len(), 1);
}

/// Very long Unicode in query values is refused, not truncated into something valid.
#[tokio::test]
async fn very_long_unicode_query_values_are_400() {
    let tenant = Tenant::new();
    let api = tenant.bulk("viewer");
    let long: String = std::iter::repeat_n(ASTRAL, 2_000).collect();
    let typed = format!("a{long}");
    api.get_query("/v1/events", &[("type", &typed)])
        .await
        .validation_failed(&["type"]);
    api.get_query("/v1/events", &[("cursor", &long)])
        .await
        .invalid_cursor();
    let resp = api
        .get_query(
            "/v1/analytics/events",
            &[
                ("from", "2025-01-01T00:00:00Z"),
                ("to", "2025-01-02T00:00:00Z"),
                ("type", &typed),
            ],
        )
        .await;
    resp.validation_failed(&["type"]);
    let _: Value = resp.json();
}
