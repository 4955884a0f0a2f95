//! The Lambda runtime loop of an API function.

use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use lambda_http::{Request, RequestExt};
use tracing::Instrument;

use super::compress::{accepts_gzip, compress};
use super::request::RequestParts;
use super::response::{cors_headers, problem, rate_headers, secure, HttpResult};
use crate::edge::{flow, Edge};
use crate::telemetry;

/// Serves an API function: the edge policies around the handler, problem+json for every error,
/// the security headers on every answer, and one JSON log line per request (which doubles as an
/// EMF metric).
pub async fn serve<F, Fut>(edge: Edge, handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = HttpResult> + Send,
{
    let handler = &handler;
    let edge = &edge;
    lambda_http::run(lambda_http::service_fn(move |request: Request| async move {
        let started = Instant::now();
        let request_id = request
            .gateway_request_id()
            .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
            .unwrap_or_default();
        let route = request.route_key().unwrap_or_default();
        let tenant = request
            .claims()
            .get(crate::domain::tenant::TENANT_CLAIM)
            .cloned()
            .unwrap_or_default();
        let origin = request.header("origin");
        let gzip = request
            .header("accept-encoding")
            .is_some_and(|value| accepts_gzip(&value));
        let span = tracing::info_span!("request", request_id = %request_id, tenant = %tenant, route = %route);
        let (outcome, rate) = flow::guarded(edge, request, handler)
            .instrument(span.clone())
            .await;
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => {
                if error.is_server_fault() {
                    span.in_scope(|| tracing::error!(error = %error, "request failed"));
                }
                problem(&error, &request_id)
            }
        };
        if let Some(rate) = rate {
            rate_headers(&mut response, rate);
        }
        if let Some(origin) = origin.filter(|o| edge.cors.allows(o)) {
            cors_headers(&mut response, &origin);
        }
        let response = secure(compress(response, gzip));
        telemetry::request_line(
            &request_id,
            &tenant,
            &route,
            response.status().as_u16(),
            started.elapsed(),
        );
        Ok::<_, Infallible>(response)
    }))
    .await
}
