//! Handler overhead in process: what a warm invocation costs before and after its I/O.
//!
//! Each iteration starts from the API Gateway event JSON the local stack builds (the same code
//! builds it), parses it into a request, checks the caller, parses and validates the body, builds
//! the storage key, and serialises the response back into the payload Lambda returns. DynamoDB is
//! left out: that is what the warm-latency comparison with raw DynamoDB Local measures.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Response};
use ofauto_local::apigw::{build_event, HttpRequest, Invocation};
use ofauto_local::jwt::VerifiedClaims;
use shared::domain::{Event, EventId, NewEvent, Permission, Timestamp};
use shared::http::{body_bytes, json, RequestParts};
use shared::staging::Key;
use shared::JsonObject;

const CREATE_BODY: &str = r#"{"type":"user.signup","source":"web","occurred_at":"2026-11-30T12:00:00.123Z","properties":{"plan":"pro","seats":12,"trial":false,"referrer":{"kind":"ad","campaign":"black-friday"}}}"#;

/// The event API Gateway (here: the local gateway's builder) hands the function.
fn gateway_event(
    method: &str,
    path: &str,
    route_key: &str,
    params: &[(&str, &str)],
    body: &str,
) -> String {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    headers.insert("user-agent", "bench/1".parse().unwrap());
    let claims = VerifiedClaims {
        claims: BTreeMap::from([
            ("custom:tenant_id".to_string(), "acme".to_string()),
            ("cognito:groups".to_string(), "[editor]".to_string()),
            ("sub".to_string(), "user-1".to_string()),
        ]),
        scopes: None,
    };
    let path_parameters: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let event = build_event(
        &HttpRequest {
            method,
            raw_path: path,
            raw_query: "",
            headers: &headers,
            body: body.as_bytes(),
            source_ip: "127.0.0.1".into(),
            gateway_port: 3000,
        },
        &Invocation {
            route_key,
            path_parameters: &path_parameters,
            authorizer: Some(&claims),
            request_id: "bench-request",
            trace_id: "Root=1-00000000-000000000000000000000000",
            now: chrono::Utc::now(),
        },
    );
    event.to_string()
}

/// The payload the runtime sends back for a response, as lambda_http shapes it for HTTP APIs.
fn payload(response: Response<Body>) -> String {
    let (parts, body) = response.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    out.body = Some(body);
    serde_json::to_string(&out).expect("serialisable")
}

fn create(raw: &str) -> String {
    let request = lambda_http::request::from_str(raw).expect("gateway event");
    let caller = request.caller(Permission::Write).expect("editor");
    let now = Timestamp::now();
    let body = JsonObject::parse(body_bytes(&request)).expect("object");
    let new_event = NewEvent::parse(body, now).expect("valid");
    let (id, event) = Event::record(new_event, now);
    let key = Key::Event {
        tenant: caller.tenant(),
        id,
    }
    .to_item();
    black_box(key);
    payload(json(StatusCode::CREATED, &event))
}

fn get(raw: &str, stored: &Event) -> String {
    let request = lambda_http::request::from_str(raw).expect("gateway event");
    let caller = request.caller(Permission::Read).expect("viewer");
    let id = EventId::parse(&request.path_param("id").expect("id")).expect("an event id");
    let key = Key::Event {
        tenant: caller.tenant(),
        id,
    }
    .to_item();
    black_box(key);
    payload(json(StatusCode::OK, stored))
}

fn handlers(c: &mut Criterion) {
    let create_event = gateway_event("POST", "/v1/events", "POST /v1/events", &[], CREATE_BODY);
    c.bench_function("events-create: parse, validate, key, serialise", |b| {
        b.iter(|| create(black_box(&create_event)))
    });

    let now = Timestamp::now();
    let body = JsonObject::parse(CREATE_BODY.as_bytes()).expect("object");
    let (id, stored) = Event::record(NewEvent::parse(body, now).expect("valid"), now);
    let id = id.to_string();
    let get_event = gateway_event(
        "GET",
        &format!("/v1/events/{id}"),
        "GET /v1/events/{id}",
        &[("id", &id)],
        "",
    );
    c.bench_function("events-get: parse, key, serialise", |b| {
        b.iter(|| get(black_box(&get_event), &stored))
    });
}

criterion_group!(benches, handlers);
criterion_main!(benches);
