//! The API Gateway HTTP API emulator: routes, the JWT authorizer, payload 2.0 events, and API
//! Gateway's own error answers (`{"message": ...}`) for what it rejects before a function runs.
//!
//! A request is refused on its head alone whenever it can be: size by `Content-Length`, then the
//! route, then the token. Only an admitted request has its body read (within [`Timeouts::body`]),
//! so an anonymous client can make the gateway neither buffer a body nor wait for one.
//!
//! Anything a client sends (the kid of a token, paths, header values, and function errors that
//! quote input) is logged only as a Debug-formatted field, never spliced into the message, so a
//! newline in it is escaped and cannot forge a log line.

use crate::apigw::{self, HttpRequest, Invocation};
use crate::jwt::Authorizer;
use crate::pool::{InvokeError, Pools};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use ofauto_routes::{Auth, RouteTable};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// API Gateway's payload limit; the API's own 64 KiB limit is the functions' job.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's maximum integration timeout for HTTP APIs.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const OPENAPI_PATH: &str = "/openapi.json";

/// Headers are a few KiB: any live client sends them in well under a second, so 10 s only ever
/// cuts off a stalled or deliberately slow (Slowloris) client. API Gateway's edge likewise drops
/// connections that stall; it answers nothing, and neither do we.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole 10 MiB payload limit in 30 s needs only ~350 KiB/s, a slow mobile uplink; a client
/// slower than that would also outlast the 30 s API Gateway gives a whole request
/// ([`INTEGRATION_TIMEOUT`]). A body trickled a byte at a time is cut off with 408.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a client may take to send a request. Without limits, half-sent headers hold a
/// connection open forever and a trickled body holds a task and its buffer forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From when a connection is ready for a request (accepted, or idle after an answer) to the
    /// end of that request's headers; past it the connection is closed without an answer. It is
    /// therefore also the keep-alive idle timeout.
    pub header: Duration,
    /// From the end of the headers to the end of the body (once the request is admitted); past
    /// it the answer is 408 and the connection is closed.
    pub body: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header: DEFAULT_HEADER_TIMEOUT,
            body: DEFAULT_BODY_TIMEOUT,
        }
    }
}

pub struct Gateway {
    pub routes: RouteTable,
    pub authorizer: Authorizer,
    pub pools: Arc<Pools>,
    pub jwks_json: String,
    /// The committed OpenAPI document, served as the contract of what runs here.
    pub openapi_json: Option<String>,
    pub port: u16,
    pub timeouts: Timeouts,
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

/// The same answer, telling the client the connection ends with it: its body was not read to
/// the end, so the connection cannot carry another request.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn handle(gw: &Gateway, peer: SocketAddr, req: Request) -> Response {
    let request_id = crate::ids::apigw_request_id();
    let mut response = dispatch(gw, peer, req, &request_id).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", v);
    }
    response
}

async fn dispatch(gw: &Gateway, peer: SocketAddr, req: Request, request_id: &str) -> Response {
    let (parts, body) = req.into_parts();
    if crate::console_site::owns(parts.uri.path()) {
        return crate::console_site::serve(gw.port, parts, body, gw.timeouts.body).await;
    }
    if parts.method == Method::GET && parts.uri.path() == JWKS_PATH {
        discard(body, gw.timeouts.body);
        return json_response(StatusCode::OK, gw.jwks_json.clone().into());
    }
    if parts.method == Method::GET && parts.uri.path() == OPENAPI_PATH {
        if let Some(doc) = &gw.openapi_json {
            discard(body, gw.timeouts.body);
            return json_response(StatusCode::OK, doc.clone().into());
        }
    }
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        // Not worth discarding: the connection closes instead.
        return closing(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
        ));
    }

    // Route and token come from the head alone: a request refused here never has its body
    // buffered, and is answered while its client may still be sending.
    let raw_path = parts.uri.path();
    let Some(matched) = gw.routes.resolve(parts.method.as_str(), raw_path) else {
        discard(body, gw.timeouts.body);
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
                    // The reason can quote the token (its kid, a bad header): a Debug field only.
                    tracing::info!(route = %route.route_key, %request_id, reason = ?e.to_string(), "401 Unauthorized");
                    discard(body, gw.timeouts.body);
                    return message(StatusCode::UNAUTHORIZED, "Unauthorized");
                }
            }
        }
    };

    let body = match tokio::time::timeout(gw.timeouts.body, read_body(body)).await {
        Ok(Ok(b)) => b,
        Ok(Err(BodyError::TooLarge)) => {
            return closing(message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
            ))
        }
        Ok(Err(BodyError::Read)) => {
            return closing(message(StatusCode::BAD_REQUEST, "Bad Request"))
        }
        Err(_) => {
            tracing::info!(route = %route.route_key, %request_id, timeout = ?gw.timeouts.body, "408 Request Timeout: the body did not arrive in time");
            return closing(message(StatusCode::REQUEST_TIMEOUT, "Request Timeout"));
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
            tracing::warn!(function = %route.function, %request_id, error = ?e.to_string(), "invalid function response");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// A function's error can quote its input (a serde message, an error type it chose): a Debug
/// field only.
fn log_failure(function: &str, request_id: &str, e: &InvokeError) {
    tracing::warn!(%function, %request_id, error = ?e.to_string(), "invocation failed");
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

/// Reads and drops what is left of the body of a request answered early, so that a client still
/// uploading gets to finish and read the answer rather than have the connection reset under it.
/// Nothing is kept; it stops at the payload limit or the body timeout, and the connection then
/// closes.
fn discard(body: Body, within: Duration) {
    if body.is_end_stream() {
        return;
    }
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        let mut seen = 0usize;
        let _ = tokio::time::timeout(within, async {
            while let Some(Ok(chunk)) = stream.next().await {
                seen += chunk.len();
                if seen > MAX_BODY_BYTES {
                    break;
                }
            }
        })
        .await;
    });
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
            _ => tracing::warn!(header = ?name, "dropping an invalid response header"),
        }
    }
    response
}

/// Binds the gateway on loopback; port 0 picks a free one.
pub async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(("127.0.0.1", port)).await
}

/// Serves HTTP/1.1 until `shutdown` resolves, then lets in-flight requests finish.
///
/// hyper directly rather than `axum::serve`, which cannot set the header read timeout.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(gateway.timeouts.header);
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let gw = gateway.clone();
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let gw = gw.clone();
            async move { Ok::<_, Infallible>(handle(&gw, peer, req.map(Body::new)).await) }
        });
        let connection =
            connections.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that vanishes or times out is not the gateway's error.
            let _ = connection.await;
        });
    }
    drop(listener);
    connections.shutdown().await;
    Ok(())
}

/// A connection that failed before it was accepted concerns only its client; anything else
/// (out of file descriptors) is retried after a pause rather than spun on.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
