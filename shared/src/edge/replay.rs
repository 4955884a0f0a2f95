//! The request side of `Idempotency-Key`: claim the key, run the handler once, remember its
//! answer, and replay that answer to later requests with the key. The records themselves are
//! `idempotency::IdempotencyStore`'s.

use crate::error::ApiError;
use std::future::Future;

use lambda_http::http::{HeaderName, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use super::idempotency::{self, Begin, IdempotencyKey, IdempotencyStore, StoredResponse};
use crate::http::{body_bytes, HttpResult, RequestParts};

/// Headers a replay must repeat; the rest are added fresh on every answer.
const REPLAYED_HEADERS: [&str; 2] = ["content-type", "location"];
/// Top-level answer fields that are never written to an idempotency record: a channel's signing
/// secret lives only in Secrets Manager (API.md), so a replay answers without it, and a client
/// that lost the first answer rotates the secret to get one.
const NEVER_STORED_FIELDS: [&str; 1] = ["signing_secret"];

/// Runs `handler` at most once per key: a repeat replays the first answer.
pub(crate) async fn idempotent<F, Fut>(
    store: &IdempotencyStore,
    request: Request,
    key: &HeaderValue,
    handler: &F,
) -> HttpResult
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = HttpResult>,
{
    let key = IdempotencyKey::parse(key.as_bytes())?;
    let caller = request.tenant_context()?;
    let hash = idempotency::request_hash(
        request.method().as_str(),
        request.raw_http_path(),
        body_bytes(&request),
    );
    // The lease lasts as long as this invocation may: past its deadline it is surely dead.
    let lease_until = request
        .lambda_context_ref()
        .and_then(|c| chrono::DateTime::from_timestamp_millis(i64::try_from(c.deadline).ok()?))
        .unwrap_or_else(|| chrono::Utc::now() + chrono::TimeDelta::seconds(30));
    let route = request.route_key().unwrap_or_default();
    // `begin` authorises the caller for the route before it looks the key up; the handler
    // checks again, for requests that carry no key.
    let begun = store.begin(&caller, &route, &key, &hash, lease_until).await;
    if let Err(ApiError::IdempotencyKeyReused | ApiError::IdempotencyInProgress) = &begun {
        // Usually a client bug (a key reused for another body) or a retry racing its original.
        crate::telemetry::count("idempotency_conflicts", 1);
    }
    match begun? {
        Begin::Replay(stored) => Ok(replay(stored)),
        Begin::Proceed(claim) => {
            let result = handler(request).await;
            let bookkeeping = match &result {
                Ok(response) if response.status().is_success() => {
                    store.complete(claim, &remember(response)).await
                }
                _ => store.release(claim).await,
            };
            if let Err(error) = bookkeeping {
                // The work is done; failing the request now would invite a duplicate retry.
                tracing::error!(error = %error, "could not record the idempotent outcome");
            }
            result
        }
    }
}

fn remember(response: &Response<Body>) -> StoredResponse {
    StoredResponse {
        status: response.status().as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(*name)?.to_str().ok()?;
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect(),
        body: match response.body() {
            Body::Text(text) => without_secrets(text),
            _ => String::new(),
        },
    }
}

fn without_secrets(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut object))
            if NEVER_STORED_FIELDS.iter().any(|f| object.contains_key(*f)) =>
        {
            for field in NEVER_STORED_FIELDS {
                object.remove(field);
            }
            serde_json::Value::Object(object).to_string()
        }
        _ => body.to_owned(),
    }
}

fn replay(stored: StoredResponse) -> Response<Body> {
    crate::telemetry::count("idempotent_replays", 1);
    let mut response = Response::new(if stored.body.is_empty() {
        Body::Empty
    } else {
        Body::Text(stored.body)
    });
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert("idempotency-replayed", HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::json;

    #[test]
    fn a_replay_repeats_status_body_and_the_replayed_headers_only() {
        let mut first = json(StatusCode::CREATED, &serde_json::json!({"id": "e1"}));
        let headers = first.headers_mut();
        headers.insert("location", HeaderValue::from_static("/v1/events/e1"));
        headers.insert("ratelimit-remaining", HeaderValue::from_static("7"));
        let stored = remember(&first);
        assert_eq!(stored.headers.len(), 2);
        let again = replay(stored);
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["location"], "/v1/events/e1");
        assert_eq!(again.headers()["content-type"], "application/json");
        assert_eq!(again.headers()["idempotency-replayed"], "true");
        assert!(again.headers().get("ratelimit-remaining").is_none());
        assert_eq!(again.body(), first.body());
    }

    #[test]
    fn a_signing_secret_is_never_remembered() {
        let first = json(
            StatusCode::CREATED,
            &serde_json::json!({"id": "c1", "signing_secret": "whsec_abc", "name": "n"}),
        );
        let stored = remember(&first);
        assert!(!stored.body.contains("whsec_abc"), "{}", stored.body);
        let body: serde_json::Value = serde_json::from_str(&stored.body).unwrap();
        assert_eq!(body, serde_json::json!({"id": "c1", "name": "n"}));
    }

    #[test]
    fn an_empty_answer_replays_empty() {
        let again = replay(remember(&crate::http::no_content()));
        assert_eq!(again.status(), 204);
        assert!(matches!(again.body(), Body::Empty));
    }
}
