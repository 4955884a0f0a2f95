use lambda_http::{Request, RequestExt};
use ofauto_routes::{Manifest, ManifestError, RouteTable};
use shared::http::HttpResult;
use shared::ApiError;

/// The deployed routes, matched exactly as the gateway matches them (`{param}` and greedy
/// `{proxy+}` alike): the one route table in `ofauto-routes`.
#[derive(Debug)]
pub struct Routes(RouteTable);

impl Routes {
    pub fn from_manifest(raw: &str) -> Result<Self, ManifestError> {
        let manifest = Manifest::parse(raw, "functions/manifest.json")?;
        Ok(Self(RouteTable::from_manifest(&manifest)))
    }

    /// Methods served at `path`, sorted; empty when no route has this shape.
    pub fn methods_for(&self, path: &str) -> Vec<String> {
        self.0.allowed_methods(path)
    }
}

pub async fn handle(request: Request, routes: &Routes) -> HttpResult {
    let allow = routes.methods_for(request.raw_http_path());
    if allow.is_empty() {
        Err(ApiError::NotFound)
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Routes {
        Routes::from_manifest(include_str!("../../manifest.json")).unwrap()
    }

    /// A manifest with a greedy route next to a plain one.
    fn with_greedy() -> Routes {
        let manifest = serde_json::json!({
            "table": {"hash_key": "pk", "attributes": {"pk": "S"}},
            "functions": [
                {"name": "files", "trigger": {"kind": "http", "method": "GET", "path": "/files/{proxy+}", "auth": "jwt"},
                 "memory_mb": 128, "timeout_s": 3},
                {"name": "upload", "trigger": {"kind": "http", "method": "PUT", "path": "/files/{proxy+}", "auth": "jwt"},
                 "memory_mb": 128, "timeout_s": 3},
                {"name": "index", "trigger": {"kind": "http", "method": "GET", "path": "/files", "auth": "jwt"},
                 "memory_mb": 128, "timeout_s": 3},
                {"name": "not-found", "trigger": {"kind": "http", "method": "ANY", "path": "$default", "auth": "none"},
                 "memory_mb": 128, "timeout_s": 3}
            ]
        });
        Routes::from_manifest(&manifest.to_string()).unwrap()
    }

    fn request(path: &str) -> Request {
        Request::default().with_raw_http_path(path)
    }

    #[test]
    fn known_paths_list_their_methods() {
        assert_eq!(routes().methods_for("/v1/events"), ["GET", "POST"]);
        assert_eq!(routes().methods_for("/v1/events/01ABC"), ["DELETE", "GET"]);
    }

    #[test]
    fn unknown_paths_have_no_methods() {
        for path in [
            "/",
            "/v1",
            "/v1/events/a/b",
            "/v1/events/",
            "/v2/events",
            "/health/x",
        ] {
            assert!(routes().methods_for(path).is_empty(), "{path}");
        }
    }

    #[test]
    fn the_catch_all_route_itself_is_not_a_path() {
        assert!(routes().methods_for("$default").is_empty());
    }

    #[test]
    fn paths_under_a_greedy_route_list_its_methods() {
        let routes = with_greedy();
        for path in ["/files/a", "/files/a/b/c", "/files/a%2Fb/"] {
            assert_eq!(routes.methods_for(path), ["GET", "PUT"], "{path}");
        }
        assert_eq!(routes.methods_for("/files"), ["GET"]);
        // A greedy parameter needs at least one non-empty segment, as in API Gateway.
        for path in ["/files/", "/files//", "/other/a"] {
            assert!(routes.methods_for(path).is_empty(), "{path}");
        }
    }

    #[tokio::test]
    async fn a_wrong_method_under_a_greedy_route_is_405_with_allow() {
        let routes = with_greedy();
        match handle(request("/files/reports/2025/q1.csv"), &routes).await {
            Err(ApiError::MethodNotAllowed { allow }) => assert_eq!(allow, ["GET", "PUT"]),
            other => panic!("expected 405, got {other:?}"),
        }
        match handle(request("/files/"), &routes).await {
            Err(ApiError::NotFound) => {}
            other => panic!("expected 404, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn wrong_methods_on_the_deployed_routes_are_405_and_the_rest_404() {
        match handle(request("/v1/events/01ABC"), &routes()).await {
            Err(ApiError::MethodNotAllowed { allow }) => assert_eq!(allow, ["DELETE", "GET"]),
            other => panic!("expected 405, got {other:?}"),
        }
        match handle(request("/v1/nope"), &routes()).await {
            Err(ApiError::NotFound) => {}
            other => panic!("expected 404, got {other:?}"),
        }
    }

    #[test]
    fn an_invalid_manifest_is_refused() {
        assert!(Routes::from_manifest("{").is_err());
        assert!(Routes::from_manifest(r#"{"functions": []}"#).is_err());
    }
}
