//! Read-only access to what API Gateway passed to the function.

use std::collections::HashMap;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};

use crate::domain::tenant::{Permission, TenantContext};
use crate::error::ApiError;

/// Read-only view of what API Gateway passed to the function.
pub trait RequestParts {
    fn claims(&self) -> HashMap<String, String>;
    fn tenant_context(&self) -> Result<TenantContext, ApiError>;
    fn query(&self, name: &str) -> Option<String>;
    fn path_param(&self, name: &str) -> Option<String>;
    fn gateway_request_id(&self) -> Option<String>;
    fn route_key(&self) -> Option<String>;
    /// A header's value, when it is present and visible ASCII.
    fn header(&self, name: &str) -> Option<String>;

    /// How every handler opens: who is calling, refused with 403 unless they may do `permission`.
    fn caller(&self, permission: Permission) -> Result<TenantContext, ApiError> {
        let caller = self.tenant_context()?;
        caller.require(permission)?;
        Ok(caller)
    }
}

impl RequestParts for Request {
    fn claims(&self) -> HashMap<String, String> {
        match self.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| jwt.claims.clone())
                .unwrap_or_default(),
            _ => HashMap::new(),
        }
    }

    fn tenant_context(&self) -> Result<TenantContext, ApiError> {
        TenantContext::from_claims(&self.claims())
    }

    fn query(&self, name: &str) -> Option<String> {
        self.query_string_parameters_ref()
            .and_then(|q| q.first(name))
            .map(str::to_owned)
    }

    fn path_param(&self, name: &str) -> Option<String> {
        self.path_parameters_ref()
            .and_then(|p| p.first(name))
            .map(str::to_owned)
    }

    fn gateway_request_id(&self) -> Option<String> {
        match self.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
            _ => None,
        }
    }

    fn route_key(&self) -> Option<String> {
        match self.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
            _ => None,
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// Raw body bytes; API Gateway base64-decodes for us via lambda_http.
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::request;

    #[test]
    fn the_caller_is_the_tenant_context_once_the_permission_is_checked() {
        let editor = request("POST", Some("t1"), "[editor]", "");
        let caller = editor.caller(Permission::Write).unwrap();
        assert_eq!(caller.tenant().as_str(), "t1");
        assert_eq!(
            editor
                .caller(Permission::ManageChannels)
                .unwrap_err()
                .status(),
            403
        );
        for (tenant, groups) in [
            (None, "[admin]"),
            (Some("t1"), "[]"),
            (Some("a#b"), "[admin]"),
        ] {
            let req = request("GET", tenant, groups, "");
            assert_eq!(
                req.caller(Permission::Read).unwrap_err().status(),
                403,
                "{tenant:?} {groups}"
            );
        }
    }

    #[test]
    fn bodies_of_every_kind_read_as_bytes() {
        assert_eq!(body_bytes(&request("POST", None, "", "")), b"");
        assert_eq!(body_bytes(&request("POST", None, "", "{}")), b"{}");
    }
}
