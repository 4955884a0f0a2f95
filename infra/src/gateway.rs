//! The API Gateway HTTP API emulator: routes, the JWT authorizer, payload 2.0 events, and API
//! Gateway's own error answers (`{"message": ...}`) for what it rejects before a function runs.

use crate::apigw::{self, HttpRequest, Invocation};
use crate::jwt::Authorizer;
use crate::manifest::Auth;
use crate::pool::{InvokeError, Pools};
use crate::routes::RouteTable;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use futures::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// API Gateway's payload limit; the API's own 64 KiB limit is the functions' job.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's maximum integration timeout for HTTP APIs.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const OPENAPI_PATH: &str = "/openapi.json";

pub struct Gateway {
    pub routes: RouteTable,
    pub authorizer: Authorizer,
    pub pools: Arc<Pools>,
    pub jwks_json: String,
    /// The committed OpenAPI document, served as the contract of what runs here.
    pub openapi_json: Option<String>,
    pub port: u16,
}

pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::disable())
        .with_state(gateway)
}

fn message(status: StatusCode, text: &str) -> Response {
    json_response(
        status,
        serde_json::json!({ "message": text }).to_string().into(),
    )
}

fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let request_id = crate::ids::apigw_request_id();
    let mut response = dispatch(&gw, peer, req, &request_id).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", v);
    }
    response
}

async fn dispatch(gw: &Gateway, peer: SocketAddr, req: Request, request_id: &str) -> Response {
    let (parts, body) = req.into_parts();
    if parts.method == Method::GET && parts.uri.path() == JWKS_PATH {
        return json_response(StatusCode::OK, gw.jwks_json.clone().into());
    }
    if parts.method == Method::GET && parts.uri.path() == OPENAPI_PATH {
        if let Some(doc) = &gw.openapi_json {
            return json_response(StatusCode::OK, doc.clone().into());
        }
    }
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    }
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
        }
        Err(BodyError::Read) => return message(StatusCode::BAD_REQUEST, "Bad Request"),
    };

    let raw_path = parts.uri.path();
    let Some(matched) = gw.routes.resolve(parts.method.as_str(), raw_path) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let route = matched.route;
    let claims = match route.auth {
        Auth::None => None,
        Auth::Jwt => {
            let header = parts
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match gw.authorizer.verify(header) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::info!(route = %route.route_key, %request_id, "401: {e}");
                    return message(StatusCode::UNAUTHORIZED, "Unauthorized");
                }
            }
        }
    };

    let now = chrono::Utc::now();
    let trace_id = crate::ids::xray_trace_id(now.timestamp());
    let event = apigw::build_event(
        &HttpRequest {
            method: parts.method.as_str(),
            raw_path,
            raw_query: parts.uri.query().unwrap_or_default(),
            headers: &parts.headers,
            body: &body,
            source_ip: peer.ip().to_string(),
            gateway_port: gw.port,
        },
        &Invocation {
            route_key: &route.route_key,
            path_parameters: &matched.path_parameters,
            authorizer: claims.as_ref(),
            request_id,
            trace_id: trace_id.split(';').next().unwrap_or_default(),
            now,
        },
    );
    let payload = Bytes::from(serde_json::to_vec(&event).expect("a JSON value always serialises"));
    let invoked = tokio::time::timeout(
        INTEGRATION_TIMEOUT,
        gw.pools.invoke(&route.function, payload),
    )
    .await;
    let raw = match invoked {
        Ok(Ok(raw)) => raw,
        Ok(Err(e)) => {
            log_failure(&route.function, request_id, &e);
            return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
        Err(_) => {
            tracing::warn!(function = %route.function, %request_id, "integration timed out after {INTEGRATION_TIMEOUT:?}");
            return message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
        }
    };
    match apigw::parse_response(&raw) {
        Ok(r) => to_http(r),
        Err(e) => {
            tracing::warn!(function = %route.function, %request_id, "{e}");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

fn log_failure(function: &str, request_id: &str, e: &InvokeError) {
    tracing::warn!(%function, %request_id, "invocation failed: {e}");
}

enum BodyError {
    TooLarge,
    Read,
}

/// Reads the body, giving up as soon as it passes the limit (chunked bodies declare no length).
async fn read_body(body: Body) -> Result<Vec<u8>, BodyError> {
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Read)?;
        if out.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Headers that describe the connection rather than the response; hyper sets its own.
fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection" | "content-length" | "transfer-encoding" | "keep-alive" | "upgrade"
    )
}

fn to_http(r: apigw::HttpResponse) -> Response {
    let mut response = Response::new(Body::from(r.body));
    *response.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in r.headers {
        if is_hop_by_hop(&name) {
            continue;
        }
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            (Ok(n), Ok(v)) => {
                headers.append(n, v);
            }
            _ => tracing::warn!(header = %name, "dropping an invalid response header"),
        }
    }
    response
}

/// Binds the gateway on loopback; port 0 picks a free one.
pub async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(("127.0.0.1", port)).await
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(gateway).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
