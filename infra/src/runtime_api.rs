//! The Lambda Runtime API for ONE function process.
//!
//! Each process gets its own listener, so the port identifies the process and a request can never
//! be answered by the wrong one. This module only speaks HTTP; the worker that owns the process
//! decides what each call means.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Lambda's synchronous response limit.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// One invocation as handed to the process by `next`.
#[derive(Debug)]
pub struct NextInvocation {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline_epoch_ms: i64,
    pub function_arn: String,
    pub trace_id: String,
}

/// How the process finished an invocation.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Success(Bytes),
    Failure { error_type: String, body: Bytes },
}

/// Calls the worker must act on.
#[derive(Debug)]
pub enum ApiEvent {
    /// The process is ready for work; answer through the sender.
    Next(oneshot::Sender<NextInvocation>),
    /// The process failed before it could take any work.
    InitError { error_type: String, body: Bytes },
}

struct InFlight {
    request_id: String,
    done: oneshot::Sender<Outcome>,
}

#[derive(Clone)]
struct ApiState {
    events: mpsc::Sender<ApiEvent>,
    inflight: Arc<Mutex<Option<InFlight>>>,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    inflight: Arc<Mutex<Option<InFlight>>>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Binds a fresh loopback port and serves the API on it.
    pub async fn bind() -> std::io::Result<(Self, mpsc::Receiver<ApiEvent>)> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (events, rx) = mpsc::channel(4);
        let inflight = Arc::new(Mutex::new(None));
        let state = ApiState {
            events,
            inflight: inflight.clone(),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            // `{id}/response` and `{id}/error`: the two ways an invocation ends.
            .route("/2018-06-01/runtime/invocation/{id}/{end}", post(end))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            // Sizes are checked by the handlers, which can then fail the invocation cleanly.
            .layer(DefaultBodyLimit::disable())
            .with_state(state);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((
            Self {
                addr,
                inflight,
                server,
            },
            rx,
        ))
    }

    /// Registers the invocation about to be handed out; its outcome arrives on the receiver.
    pub fn expect(&self, request_id: &str) -> oneshot::Receiver<Outcome> {
        let (done, rx) = oneshot::channel();
        *lock(&self.inflight) = Some(InFlight {
            request_id: request_id.to_string(),
            done,
        });
        rx
    }

    /// Forgets the in-flight invocation (it was never delivered, or it is being abandoned).
    pub fn clear(&self) {
        lock(&self.inflight).take();
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(m: &Mutex<Option<InFlight>>) -> std::sync::MutexGuard<'_, Option<InFlight>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        [(http::header::CONTENT_TYPE, "application/json")],
        serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string(),
    )
        .into_response()
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [(http::header::CONTENT_TYPE, "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

/// Long-polls until the worker hands this process an invocation.
async fn next(State(state): State<ApiState>) -> Response {
    let (tx, rx) = oneshot::channel();
    if state.events.send(ApiEvent::Next(tx)).await.is_err() {
        return api_error(StatusCode::INTERNAL_SERVER_ERROR, "ServiceGone", "stopping");
    }
    let Ok(inv) = rx.await else {
        return api_error(StatusCode::INTERNAL_SERVER_ERROR, "ServiceGone", "stopping");
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", &inv.request_id);
    set(
        "lambda-runtime-deadline-ms",
        &inv.deadline_epoch_ms.to_string(),
    );
    set("lambda-runtime-invoked-function-arn", &inv.function_arn);
    set("lambda-runtime-trace-id", &inv.trace_id);
    set("content-type", "application/json");
    (StatusCode::OK, headers, inv.payload).into_response()
}

async fn end(
    State(state): State<ApiState>,
    Path((id, end)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = match end.as_str() {
        "response" => response_outcome(&headers, body),
        "error" => Outcome::Failure {
            error_type: error_type(&headers, "Unhandled"),
            body,
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    complete(&state, &id, outcome)
}

fn response_outcome(headers: &HeaderMap, body: Bytes) -> Outcome {
    if headers
        .get("lambda-runtime-function-response-mode")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"))
    {
        failure(
            "Runtime.StreamingNotSupported",
            "the local stack does not emulate response streaming",
        )
    } else if body.len() > MAX_RESPONSE_BYTES {
        failure(
            "Function.ResponseSizeTooLarge",
            "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        )
    } else {
        Outcome::Success(body)
    }
}

async fn init_error(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    let error_type = error_type(&headers, "Runtime.InitError");
    let _ = state
        .events
        .send(ApiEvent::InitError { error_type, body })
        .await;
    accepted()
}

fn error_type(headers: &HeaderMap, default: &str) -> String {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(default)
        .to_string()
}

fn failure(error_type: &str, message: &str) -> Outcome {
    Outcome::Failure {
        error_type: error_type.to_string(),
        body: Bytes::from(
            serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string(),
        ),
    }
}

fn complete(state: &ApiState, id: &str, outcome: Outcome) -> Response {
    let mut slot = lock(&state.inflight);
    match slot.take() {
        Some(inflight) if inflight.request_id == id => {
            let _ = inflight.done.send(outcome);
            accepted()
        }
        other => {
            *slot = other;
            api_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestID",
                "Invalid request ID",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn client_call(
        addr: SocketAddr,
        method: reqwest::Method,
        path: &str,
        body: &'static str,
    ) -> reqwest::Response {
        reqwest::Client::new()
            .request(method, format!("http://{addr}{path}"))
            .body(body)
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn next_then_response_round_trip() {
        let (api, mut events) = RuntimeApi::bind().await.unwrap();
        let addr = api.addr;
        let poll = tokio::spawn(async move {
            client_call(
                addr,
                reqwest::Method::GET,
                "/2018-06-01/runtime/invocation/next",
                "",
            )
            .await
        });
        let Some(ApiEvent::Next(tx)) = events.recv().await else {
            panic!("expected next")
        };
        let done = api.expect("req-1");
        tx.send(NextInvocation {
            request_id: "req-1".into(),
            payload: Bytes::from_static(b"{\"a\":1}"),
            deadline_epoch_ms: 42,
            function_arn: "arn".into(),
            trace_id: "Root=1".into(),
        })
        .unwrap();
        let resp = poll.await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["lambda-runtime-aws-request-id"], "req-1");
        assert_eq!(resp.headers()["lambda-runtime-deadline-ms"], "42");
        assert_eq!(resp.headers()["lambda-runtime-invoked-function-arn"], "arn");
        assert_eq!(resp.headers()["lambda-runtime-trace-id"], "Root=1");
        assert_eq!(resp.text().await.unwrap(), "{\"a\":1}");

        // A response for an invocation that is not in flight is refused; the right one lands.
        for (request_id, body, status) in [("other", "x", 400), ("req-1", "\"out\"", 202)] {
            let path = format!("/2018-06-01/runtime/invocation/{request_id}/response");
            let resp = client_call(addr, reqwest::Method::POST, &path, body).await;
            assert_eq!(resp.status(), status, "{path}");
        }
        assert_eq!(
            done.await.unwrap(),
            Outcome::Success(Bytes::from_static(b"\"out\""))
        );
    }

    #[tokio::test]
    async fn error_and_init_error_are_reported() {
        let (api, mut events) = RuntimeApi::bind().await.unwrap();
        let done = api.expect("r");
        let resp = reqwest::Client::new()
            .post(format!(
                "http://{}/2018-06-01/runtime/invocation/r/error",
                api.addr
            ))
            .header("lambda-runtime-function-error-type", "unhandled")
            .body(r#"{"errorType":"E","errorMessage":"boom"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        match done.await.unwrap() {
            Outcome::Failure { error_type, body } => {
                assert_eq!(error_type, "unhandled");
                assert!(String::from_utf8_lossy(&body).contains("boom"));
            }
            other => panic!("{other:?}"),
        }

        let resp = client_call(
            api.addr,
            reqwest::Method::POST,
            "/2018-06-01/runtime/init/error",
            "{}",
        )
        .await;
        assert_eq!(resp.status(), 202);
        assert!(matches!(
            events.recv().await,
            Some(ApiEvent::InitError { .. })
        ));
    }
}
