//! The API Gateway HTTP API payload format 2.0: the event a function receives and the response it
//! returns, mapped the way AWS maps them so that `lambda_http` behaves here as it does in the cloud.

use crate::jwt::VerifiedClaims;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The account id in ARNs and request contexts; moto's default, so ARNs agree across the stack.
pub const ACCOUNT_ID: &str = "123456789012";
pub const API_ID: &str = "ofautolocal";

/// Everything about one HTTP request that the event is built from.
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: String,
    pub gateway_port: u16,
}

/// What the gateway decided about the request before invoking the function.
pub struct Invocation<'a> {
    pub route_key: &'a str,
    pub path_parameters: &'a BTreeMap<String, String>,
    pub authorizer: Option<&'a VerifiedClaims>,
    pub request_id: &'a str,
    pub trace_id: &'a str,
    pub now: DateTime<Utc>,
}

pub fn build_event(req: &HttpRequest<'_>, inv: &Invocation<'_>) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies: Vec<String> = Vec::new();
    for name in req.headers.keys() {
        let values = req
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if name == http::header::COOKIE {
            // Payload 2.0 moves cookies out of the headers into their own list.
            for v in values {
                cookies.extend(
                    v.split(';')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string),
                );
            }
            continue;
        }
        headers.insert(
            name.as_str().to_string(),
            values.collect::<Vec<_>>().join(","),
        );
    }
    headers
        .entry("x-forwarded-for".into())
        .and_modify(|v| {
            v.push_str(", ");
            v.push_str(&req.source_ip)
        })
        .or_insert_with(|| req.source_ip.clone());
    headers.insert("x-forwarded-port".into(), req.gateway_port.to_string());
    headers.insert("x-forwarded-proto".into(), "http".into());
    headers.insert("x-amzn-trace-id".into(), inv.trace_id.to_string());

    let domain_name = headers
        .get("host")
        .cloned()
        .unwrap_or_else(|| format!("127.0.0.1:{}", req.gateway_port));
    let host_only = domain_name.split(':').next().unwrap_or_default();
    let domain_prefix = host_only.split('.').next().unwrap_or(host_only).to_string();
    let user_agent = headers.get("user-agent").cloned().unwrap_or_default();

    let mut request_context = json!({
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_prefix,
        "http": {
            "method": req.method,
            "path": req.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": req.source_ip,
            "userAgent": user_agent,
        },
        "requestId": inv.request_id,
        "routeKey": inv.route_key,
        "stage": "$default",
        "time": inv.now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": inv.now.timestamp_millis(),
    });
    if let Some(auth) = inv.authorizer {
        request_context["authorizer"] = json!({
            "jwt": {"claims": auth.claims, "scopes": auth.scopes}
        });
    }

    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(inv.route_key));
    event.insert("rawPath".into(), json!(req.raw_path));
    event.insert("rawQueryString".into(), json!(req.raw_query));
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    event.insert("headers".into(), json!(headers));
    let query = query_parameters(req.raw_query);
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), json!(query));
    }
    if !inv.path_parameters.is_empty() {
        event.insert("pathParameters".into(), json!(inv.path_parameters));
    }
    event.insert("requestContext".into(), request_context);
    let base64 = match std::str::from_utf8(req.body) {
        _ if req.body.is_empty() => false,
        Ok(text) => {
            event.insert("body".into(), json!(text));
            false
        }
        Err(_) => {
            event.insert("body".into(), json!(STANDARD.encode(req.body)));
            true
        }
    };
    event.insert("isBase64Encoded".into(), json!(base64));
    Value::Object(event)
}

/// Repeated keys are comma-joined, as API Gateway does.
fn query_parameters(raw: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        out.entry(k.into_owned())
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&v)
            })
            .or_insert_with(|| v.into_owned());
    }
    out
}

/// The HTTP response that the function's answer stands for.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("function response is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("function response has an invalid {0}")]
    Invalid(&'static str),
}

/// Maps a function's answer to HTTP. An answer without `statusCode` is taken as a 200 JSON body,
/// which is how API Gateway reads payload 2.0 responses.
pub fn parse_response(raw: &[u8]) -> Result<HttpResponse, ResponseError> {
    let value: Value = serde_json::from_slice(raw).map_err(ResponseError::NotJson)?;
    let Some(obj) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        return Ok(HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: raw.to_vec(),
        });
    };

    let status = match &obj["statusCode"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|s| (100..=599).contains(s))
    .ok_or(ResponseError::Invalid("statusCode"))? as u16;

    let mut headers = Vec::new();
    let mut single_names = Vec::new();
    if let Some(map) = non_null(obj.get("headers")) {
        let map = map.as_object().ok_or(ResponseError::Invalid("headers"))?;
        for (k, v) in map {
            let name = k.to_ascii_lowercase();
            single_names.push(name.clone());
            headers.push((name, scalar(v).ok_or(ResponseError::Invalid("headers"))?));
        }
    }
    if let Some(map) = non_null(obj.get("multiValueHeaders")) {
        let map = map
            .as_object()
            .ok_or(ResponseError::Invalid("multiValueHeaders"))?;
        for (k, vs) in map {
            let name = k.to_ascii_lowercase();
            if single_names.contains(&name) {
                continue;
            }
            let vs = vs
                .as_array()
                .ok_or(ResponseError::Invalid("multiValueHeaders"))?;
            for v in vs {
                let v = scalar(v).ok_or(ResponseError::Invalid("multiValueHeaders"))?;
                headers.push((name.clone(), v));
            }
        }
    }
    if let Some(cookies) = non_null(obj.get("cookies")) {
        let cookies = cookies
            .as_array()
            .ok_or(ResponseError::Invalid("cookies"))?;
        for c in cookies {
            let c = c.as_str().ok_or(ResponseError::Invalid("cookies"))?;
            headers.push(("set-cookie".into(), c.to_string()));
        }
    }

    let is_base64 = matches!(obj.get("isBase64Encoded"), Some(Value::Bool(true)));
    let body = match non_null(obj.get("body")) {
        None => Vec::new(),
        Some(Value::String(s)) if is_base64 => STANDARD
            .decode(s)
            .map_err(|_| ResponseError::Invalid("base64 body"))?,
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return Err(ResponseError::Invalid("body")),
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn non_null(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
    use chrono::TimeZone;
    use http::HeaderValue;

    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        h.insert("user-agent", HeaderValue::from_static("curl/8"));
        h.append("x-multi", HeaderValue::from_static("a"));
        h.append("x-multi", HeaderValue::from_static("b"));
        h.append("cookie", HeaderValue::from_static("a=1; b=2"));
        h.append("cookie", HeaderValue::from_static("c=3"));
        h
    }

    fn claims() -> VerifiedClaims {
        VerifiedClaims {
            claims: BTreeMap::from([
                ("custom:tenant_id".to_string(), "t1".to_string()),
                ("cognito:groups".to_string(), "[admin editor]".to_string()),
            ]),
            scopes: None,
        }
    }

    fn event(body: &[u8], query: &str, auth: Option<&VerifiedClaims>) -> Value {
        let h = headers();
        let params = BTreeMap::from([("id".to_string(), "01H".to_string())]);
        build_event(
            &HttpRequest {
                method: "POST",
                raw_path: "/v1/events/01H",
                raw_query: query,
                headers: &h,
                body,
                source_ip: "127.0.0.1".into(),
                gateway_port: 3000,
            },
            &Invocation {
                route_key: "POST /v1/events/{id}",
                path_parameters: &params,
                authorizer: auth,
                request_id: "JKJaXmPLvHcESHA=",
                trace_id: "Root=1-0-0",
                now: Utc.with_ymd_and_hms(2020, 3, 12, 19, 3, 58).unwrap(),
            },
        )
    }

    #[test]
    fn builds_the_v2_event() {
        let c = claims();
        let e = event(br#"{"type":"x"}"#, "a=1&a=2&b=%20x", Some(&c));
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "POST /v1/events/{id}");
        assert_eq!(e["rawPath"], "/v1/events/01H");
        assert_eq!(e["rawQueryString"], "a=1&a=2&b=%20x");
        assert_eq!(e["queryStringParameters"], json!({"a": "1,2", "b": " x"}));
        assert_eq!(e["pathParameters"], json!({"id": "01H"}));
        assert_eq!(e["cookies"], json!(["a=1", "b=2", "c=3"]));
        assert_eq!(e["headers"]["x-multi"], "a,b");
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(e["headers"]["x-forwarded-for"], "127.0.0.1");
        assert_eq!(e["body"], r#"{"type":"x"}"#);
        assert_eq!(e["isBase64Encoded"], false);
        let rc = &e["requestContext"];
        assert_eq!(rc["http"]["method"], "POST");
        assert_eq!(rc["http"]["sourceIp"], "127.0.0.1");
        assert_eq!(rc["http"]["userAgent"], "curl/8");
        assert_eq!(rc["stage"], "$default");
        assert_eq!(rc["time"], "12/Mar/2020:19:03:58 +0000");
        assert_eq!(rc["timeEpoch"], 1584039838000i64);
        assert_eq!(rc["domainName"], "127.0.0.1:3000");
        assert_eq!(
            rc["authorizer"]["jwt"]["claims"]["cognito:groups"],
            "[admin editor]"
        );
    }

    #[test]
    fn the_event_deserialises_as_lambda_http_reads_it() {
        let c = claims();
        let e = event(b"hi", "x=1", Some(&c));
        let parsed: ApiGatewayV2httpRequest = serde_json::from_value(e).unwrap();
        assert_eq!(parsed.raw_path.as_deref(), Some("/v1/events/01H"));
        assert_eq!(parsed.path_parameters["id"], "01H");
        let jwt = parsed.request_context.authorizer.unwrap().jwt.unwrap();
        assert_eq!(jwt.claims["custom:tenant_id"], "t1");
        assert_eq!(parsed.body.as_deref(), Some("hi"));
    }

    #[test]
    fn omits_what_is_absent() {
        let e = event(b"", "", None);
        assert!(e.get("body").is_none());
        assert!(e.get("queryStringParameters").is_none());
        assert!(e["requestContext"].get("authorizer").is_none());
        let _: ApiGatewayV2httpRequest = serde_json::from_value(e).unwrap();
    }

    #[test]
    fn binary_bodies_are_base64() {
        let e = event(&[0xff, 0xfe, 0x00], "", None);
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(e["body"], "//4A");
    }

    #[test]
    fn maps_a_structured_response() {
        let raw = json!({
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "location": "/v1/events/1"},
            "multiValueHeaders": {"x-a": ["1", "2"], "content-type": ["ignored"]},
            "cookies": ["s=1; HttpOnly"],
            "body": "{\"id\":1}",
            "isBase64Encoded": false
        });
        let r = parse_response(raw.to_string().as_bytes()).unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.body, b"{\"id\":1}");
        assert!(r
            .headers
            .contains(&("content-type".into(), "application/json".into())));
        assert!(r.headers.contains(&("x-a".into(), "2".into())));
        assert!(!r.headers.iter().any(|(_, v)| v == "ignored"));
        assert!(r
            .headers
            .contains(&("set-cookie".into(), "s=1; HttpOnly".into())));
    }

    #[test]
    fn decodes_base64_bodies_and_tolerates_nulls() {
        let raw = json!({"statusCode": 200, "headers": null, "body": "aGk=", "isBase64Encoded": true, "cookies": []});
        let r = parse_response(raw.to_string().as_bytes()).unwrap();
        assert_eq!(r.body, b"hi");
        let raw = json!({"statusCode": 204, "multiValueHeaders": {}, "isBase64Encoded": null});
        assert_eq!(
            parse_response(raw.to_string().as_bytes()).unwrap().body,
            b""
        );
    }

    #[test]
    fn a_response_without_status_is_a_json_200() {
        let r = parse_response(br#"{"hello":"world"}"#).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, br#"{"hello":"world"}"#);
    }

    #[test]
    fn rejects_malformed_responses() {
        assert!(parse_response(b"not json").is_err());
        assert!(parse_response(br#"{"statusCode": 99}"#).is_err());
        assert!(parse_response(br#"{"statusCode": 200, "body": 5}"#).is_err());
        assert!(parse_response(br#"{"statusCode": 200, "headers": {"a": {}}}"#).is_err());
    }
}
