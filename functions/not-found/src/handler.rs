use lambda_http::{Request, RequestExt};
use serde::Deserialize;
use shared::http::HttpResult;
use shared::ApiError;

#[derive(Deserialize)]
struct Manifest {
    functions: Vec<Function>,
}

#[derive(Deserialize)]
struct Function {
    trigger: Trigger,
}

#[derive(Deserialize)]
struct Trigger {
    kind: String,
    method: Option<String>,
    path: Option<String>,
}

#[derive(Debug)]
pub struct Routes(Vec<(String, Vec<String>)>);

impl Routes {
    pub fn from_manifest(raw: &str) -> Result<Self, serde_json::Error> {
        let manifest: Manifest = serde_json::from_str(raw)?;
        let routes = manifest
            .functions
            .into_iter()
            .filter(|f| f.trigger.kind == "http")
            .filter_map(|f| Some((f.trigger.method?, f.trigger.path?)))
            .filter(|(_, path)| path.starts_with('/'))
            .map(|(method, path)| {
                let segments = path.split('/').map(str::to_owned).collect();
                (method, segments)
            })
            .collect();
        Ok(Self(routes))
    }

    /// Methods served at `path`, sorted; empty when no route has this shape.
    pub fn methods_for(&self, path: &str) -> Vec<String> {
        let wanted: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<String> = self
            .0
            .iter()
            .filter(|(_, template)| {
                template.len() == wanted.len()
                    && template.iter().zip(&wanted).all(|(t, w)| {
                        (t.starts_with('{') && t.ends_with('}') && !w.is_empty()) || t == w
                    })
            })
            .map(|(method, _)| method.clone())
            .collect();
        methods.sort();
        methods.dedup();
        methods
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
}
