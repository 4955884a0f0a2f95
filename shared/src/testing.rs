//! Builders for handler unit tests: API Gateway requests with claims, and clients that must never
//! be reached (a test that needs DynamoDB belongs in the integration suite, against the real one).

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};

use crate::domain::tenant::{GROUPS_CLAIM, TENANT_CLAIM};

pub fn request(method: &str, tenant: Option<&str>, groups: &str, body: &str) -> Request {
    let mut claims = HashMap::new();
    if let Some(tenant) = tenant {
        claims.insert(TENANT_CLAIM.to_owned(), tenant.to_owned());
    }
    claims.insert(GROUPS_CLAIM.to_owned(), groups.to_owned());
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.authorizer = Some(authorizer);
    context.request_id = Some("test-request".into());
    let mut request = lambda_http::http::Request::builder()
        .method(method)
        .uri("https://api.example.test/")
        .body(if body.is_empty() {
            Body::Empty
        } else {
            Body::Text(body.to_owned())
        })
        .expect("valid request");
    request = request.with_request_context(RequestContext::ApiGatewayV2(context));
    request
}

/// A client whose endpoint refuses connections; any call fails fast.
pub fn unreachable_dynamodb() -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "unit-test",
        ))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// An SQS client whose endpoint refuses connections, for handlers that may enqueue.
pub fn unreachable_sqs() -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "unit-test",
        ))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}
