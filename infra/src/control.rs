//! The control listener: what an operator does with the AWS console or CLI, for tests and local
//! experiments, on its own loopback port and never on the API's.
//!
//! - `POST /invoke/{function}` with a JSON event: invokes the function synchronously through its
//!   pool (`aws lambda invoke`), answers its response, or 502 with the error.
//! - `POST /kill/{function}`: SIGKILLs the function's running processes, as a crash would;
//!   answers `{"killed": n}`. The pool starts new processes for the next invocations.
//! - `GET /domain-events?after=N`: the domain events that reached the bus, numbered from 1, those
//!   after `N` (default 0): `{"events": [...], "last": n, "dropped": d}` (see
//!   [`crate::domain_events`]).

use crate::domain_events::Tap;
use crate::pool::{InvokeError, Pools};
use axum::body::Bytes;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// What the control routes reach: the function pools, and the bus's tap.
#[derive(Clone)]
pub struct Control {
    pub pools: Arc<Pools>,
    pub tap: Arc<Tap>,
}

impl FromRef<Control> for Arc<Pools> {
    fn from_ref(control: &Control) -> Self {
        control.pools.clone()
    }
}

impl FromRef<Control> for Arc<Tap> {
    fn from_ref(control: &Control) -> Self {
        control.tap.clone()
    }
}

pub fn router(control: Control) -> Router {
    Router::new()
        .route("/invoke/{function}", post(invoke))
        .route("/kill/{function}", post(kill))
        .route("/domain-events", get(domain_events))
        .with_state(control)
}

#[derive(serde::Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

async fn domain_events(State(tap): State<Arc<Tap>>, Query(after): Query<After>) -> Response {
    match serde_json::to_string(&tap.since(after.after)) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Binds a free port on loopback.
pub async fn bind() -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(("127.0.0.1", 0)).await
}

fn json(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

fn problem(status: StatusCode, message: &str) -> Response {
    json(
        status,
        serde_json::json!({ "message": message }).to_string(),
    )
}

async fn invoke(
    State(pools): State<Arc<Pools>>,
    Path(function): Path<String>,
    body: Bytes,
) -> Response {
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return problem(StatusCode::BAD_REQUEST, "the event must be JSON");
    }
    match pools.invoke(&function, body).await {
        Ok(response) => json(StatusCode::OK, response),
        Err(InvokeError::UnknownFunction(_)) => problem(
            StatusCode::NOT_FOUND,
            &format!("no function named {function}"),
        ),
        Err(e) => problem(StatusCode::BAD_GATEWAY, &e.to_string()),
    }
}

async fn kill(State(pools): State<Arc<Pools>>, Path(function): Path<String>) -> Response {
    match pools.kill(&function) {
        Some(n) => json(
            StatusCode::OK,
            serde_json::json!({ "killed": n }).to_string(),
        ),
        None => problem(
            StatusCode::NOT_FOUND,
            &format!("no function named {function}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function_env::{Endpoints, FunctionEnv};
    use crate::pool::PoolConfig;
    use crate::process::ProcessRegistry;
    use ofauto_routes::Manifest;
    use tokio::sync::watch;

    const MANIFEST: &str = r#"{
      "table": {"hash_key": "pk", "attributes": {"pk": "S"}},
      "functions": [{"name": "absent", "memory_mb": 128, "timeout_s": 3}]
    }"#;

    /// A control listener over a pool whose only function has no binary.
    async fn serve() -> (String, watch::Sender<bool>) {
        let manifest = Manifest::parse(MANIFEST, "test").unwrap();
        let (stop, shutdown) = watch::channel(false);
        let env = FunctionEnv::new(
            &Endpoints {
                dynamodb: "http://127.0.0.1:1".into(),
                moto: "http://127.0.0.1:1".into(),
            },
            "t",
            Vec::new(),
        );
        let pools = Arc::new(Pools::new(
            &manifest,
            PoolConfig {
                bin_dir: "/nonexistent".into(),
                default_max_concurrency: 1,
                env,
                registry: ProcessRegistry::default(),
                shutdown,
            },
        ));
        let listener = bind().await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let tap = Arc::new(Tap::default());
        tap.push(serde_json::json!({"detail-type": "post.published"}));
        tokio::spawn(async move { axum::serve(listener, router(Control { pools, tap })).await });
        (url, stop)
    }

    #[tokio::test]
    async fn answers_invocations_kills_and_unknown_functions() {
        let (url, _stop) = serve().await;
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let post =
            |path: &str, body: &'static str| http.post(format!("{url}{path}")).body(body).send();
        let r = post("/invoke/absent", "{}").await.unwrap();
        assert_eq!(r.status(), 502);
        let text = r.text().await.unwrap();
        assert!(text.contains("cannot start the function process"), "{text}");
        assert_eq!(
            post("/invoke/absent", "not json").await.unwrap().status(),
            400
        );
        assert_eq!(post("/invoke/nope", "{}").await.unwrap().status(), 404);
        let r = post("/kill/absent", "").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), r#"{"killed":0}"#);
        assert_eq!(post("/kill/nope", "").await.unwrap().status(), 404);
        let r = http
            .get(format!("{url}/invoke/absent"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
    }

    #[tokio::test]
    async fn answers_the_domain_events_after_a_number() {
        let (url, _stop) = serve().await;
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let get = |query: &'static str| http.get(format!("{url}/domain-events{query}")).send();
        let r = get("").await.unwrap();
        assert_eq!(r.status(), 200);
        let all: crate::domain_events::Since = r.json().await.unwrap();
        assert_eq!(all.events.len(), 1);
        assert_eq!(all.events[0]["detail-type"], "post.published");
        assert_eq!((all.last, all.dropped), (1, 0));
        let none: crate::domain_events::Since =
            get("?after=1").await.unwrap().json().await.unwrap();
        assert!(none.events.is_empty());
        assert_eq!(none.last, 1);
        assert_eq!(get("?after=minus-one").await.unwrap().status(), 400);
    }
}
