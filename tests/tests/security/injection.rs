//! Injection: query-language fragments (DynamoDB expressions, PartiQL, SQL, Mongo-style operator
//! objects) in every input. Free text is stored and returned byte for byte; structured inputs
//! (types, times, limits, cursors, ids) refuse them with 400 (404 for an id). Nothing is ever
//! interpreted: another tenant's data never appears, and the type filter matches exactly.

use ofauto_tests::fixtures::{create_event, create_events, ids, list_all, Tenant};
use serde_json::{json, Map, Value};

use super::{
    assert_empty, assert_untouched, encode, id_of, properties_round_trip, sources_round_trip,
    tenant_with_event,
};

/// Fragments that would mean something to a query language if they were ever spliced into one.
pub const FRAGMENTS: [&str; 12] = [
    "#pk",
    ":v",
    "attribute_exists(pk)",
    "\" OR 1=1 --",
    "' OR '1'='1",
    r#"{"$gt":""}"#,
    "pk = :pk OR begins_with(pk, :t)",
    "SELECT * FROM \"ofauto\" WHERE pk <> ''",
    "a; DROP TABLE ofauto",
    "*",
    "${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
];

/// A bystander tenant with one event, to prove nothing of it ever shows up.
async fn bystander() -> (Tenant, Value) {
    tenant_with_event().await
}

#[tokio::test]
async fn fragments_in_source_are_stored_verbatim() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    sources_round_trip(&api, "inj.source", &FRAGMENTS).await;
    let mut listed: Vec<String> = list_all(&api, &[], 100)
        .await
        .iter()
        .map(|e| e["source"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut expected: Vec<String> = FRAGMENTS.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn fragments_in_property_keys_and_values_are_stored_verbatim() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let mut properties = Map::new();
    for fragment in FRAGMENTS {
        properties.insert(fragment.to_owned(), json!(fragment));
    }
    // Operator objects and DynamoDB attribute-value shapes, as data.
    properties.insert("$where".into(), json!("sleep(1000)"));
    properties.insert("filter".into(), json!({"$gt": "", "$ne": null}));
    properties.insert("pk".into(), json!({"S": "T#other#EV"}));
    properties.insert(":tenant".into(), json!({"#n": [":v", "#pk"]}));
    properties_round_trip(&api, "inj.props", &Value::Object(properties)).await;
}

/// An operator object where a scalar belongs is a type error, not a query.
#[tokio::test]
async fn operator_objects_in_fields_are_400() {
    let tenant = Tenant::new();
    let resp = tenant
        .editor()
        .post_json(
            "/v1/events",
            &json!({
                "type": {"$gt": ""},
                "source": {"$ne": null},
                "occurred_at": {"$gt": "2000-01-01T00:00:00Z"},
            }),
        )
        .await;
    resp.validation_failed(&["type", "source", "occurred_at"]);
    assert_empty(&tenant).await;
}

#[tokio::test]
async fn fragments_as_the_type_are_400() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    for fragment in FRAGMENTS {
        let resp = api
            .post_json("/v1/events", &json!({"type": fragment}))
            .await;
        resp.validation_failed(&["type"]);
    }
    assert_empty(&tenant).await;
}

#[tokio::test]
async fn fragments_in_the_list_type_filter_are_400() {
    let (tenant, _) = tenant_with_event().await;
    let (other, other_event) = bystander().await;
    let api = tenant.bulk("viewer");
    for fragment in FRAGMENTS {
        let resp = api.get_query("/v1/events", &[("type", fragment)]).await;
        resp.validation_failed(&["type"]);
        assert!(!resp.body.contains(&other.id), "{resp}");
    }
    assert_untouched(&other, &other_event).await;
}

#[tokio::test]
async fn fragments_in_list_bounds_and_limit_are_400() {
    let (tenant, _) = tenant_with_event().await;
    let api = tenant.bulk("viewer");
    for fragment in FRAGMENTS {
        for field in ["from", "to", "limit"] {
            let resp = api.get_query("/v1/events", &[(field, fragment)]).await;
            resp.validation_failed(&[field]);
        }
    }
}

#[tokio::test]
async fn fragments_as_a_cursor_are_400() {
    let (tenant, _) = tenant_with_event().await;
    let api = tenant.bulk("viewer");
    for fragment in FRAGMENTS {
        let resp = api.get_query("/v1/events", &[("cursor", fragment)]).await;
        resp.invalid_cursor();
    }
}

#[tokio::test]
async fn fragments_in_analytics_parameters_are_400() {
    let (tenant, _) = tenant_with_event().await;
    let api = tenant.bulk("viewer");
    let from = "2025-01-01T00:00:00Z";
    let to = "2025-01-01T05:00:00Z";
    for fragment in FRAGMENTS {
        let cases: [(Vec<(&str, &str)>, &str); 4] = [
            (vec![("from", from), ("to", to), ("type", fragment)], "type"),
            (
                vec![("from", from), ("to", to), ("granularity", fragment)],
                "granularity",
            ),
            (vec![("from", fragment), ("to", to)], "from"),
            (vec![("from", from), ("to", fragment)], "to"),
        ];
        for (query, field) in cases {
            let resp = api.get_query("/v1/analytics/events", &query).await;
            resp.validation_failed(&[field]);
        }
    }
}

#[tokio::test]
async fn fragments_as_an_event_id_are_404() {
    let (tenant, event) = tenant_with_event().await;
    let (other, _) = bystander().await;
    let api = tenant.bulk("viewer");
    for fragment in FRAGMENTS {
        let resp = api.get(&format!("/v1/events/{}", encode(fragment))).await;
        resp.problem(404, "not-found");
        assert!(
            !resp.body.contains(&id_of(&event)) && !resp.body.contains(&other.id),
            "{resp}"
        );
    }
}

#[tokio::test]
async fn fragments_as_an_event_id_delete_nothing() {
    let (tenant, event) = tenant_with_event().await;
    let (other, other_event) = bystander().await;
    let api = tenant.bulk("editor");
    for fragment in FRAGMENTS {
        let resp = api
            .delete(&format!("/v1/events/{}", encode(fragment)))
            .await;
        resp.problem(404, "not-found");
    }
    assert_untouched(&tenant, &event).await;
    assert_untouched(&other, &other_event).await;
}

/// Parameter pollution: a repeated `type` and bracketed (`type[$ne]`) parameters are either
/// refused or ignored; they never widen the filter, and never reach past the tenant.
#[tokio::test]
async fn repeated_and_bracketed_query_parameters_widen_nothing() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    let keep = create_event(&api, &json!({"type": "keep.me"})).await;
    let other_type = create_event(&api, &json!({"type": "other.type"})).await;
    let (bystander, _) = bystander().await;

    let resp = api.get("/v1/events?type=keep.me&type=other.type").await;
    if resp.status == 200 {
        let items = resp.json()["items"].as_array().unwrap().clone();
        assert!(
            items == vec![keep.clone()] || items == vec![other_type.clone()],
            "a repeated type is one exact filter, not a union:\n{resp}"
        );
    } else {
        resp.validation_failed(&["type"]);
    }

    let everything = list_all(&api, &[], 100).await;
    for query in [
        "type[$ne]=nothing",
        "type[]=keep.me",
        "type%5B%24gt%5D=",
        "filter=type%3D%3Dother.type",
        "tenant=*",
    ] {
        let resp = api.get(&format!("/v1/events?{query}")).await;
        if resp.status == 200 {
            let items = resp.json()["items"].as_array().unwrap().clone();
            assert_eq!(
                ids(&items),
                ids(&everything),
                "{query} changed the list:\n{resp}"
            );
        } else {
            resp.expect_status(400);
        }
        assert!(!resp.body.contains(&bystander.id), "{resp}");
    }
}

/// The type filter is an exact key lookup: not a prefix, not a pattern, and `:` in a type is
/// just a character (it would be a placeholder in a DynamoDB expression).
#[tokio::test]
async fn the_type_filter_is_exact() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    let types = ["a", "a:v", "a.b", "ab", "a-", "b:a"];
    let bodies: Vec<Value> = types.iter().map(|t| json!({"type": t})).collect();
    let events = create_events(&api, &bodies).await;
    for (ty, event) in types.iter().zip(&events) {
        let listed = list_all(&api, &[("type", ty)], 100).await;
        assert_eq!(listed, vec![event.clone()], "type={ty}");
    }
    for pattern in ["a*", "a%", "a?", "a.*", "[a]", "a|b"] {
        api.get_query("/v1/events", &[("type", pattern)])
            .await
            .validation_failed(&["type"]);
    }
    for nothing in ["a:", "a.", "v", "b"] {
        assert!(
            list_all(&api, &[("type", nothing)], 100).await.is_empty(),
            "type={nothing} matches nothing"
        );
    }
}
