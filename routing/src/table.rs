//! API Gateway HTTP API route selection, driven by the manifest's http triggers.
//!
//! Like API Gateway, the most specific route wins: a literal segment beats `{param}`, which beats a
//! greedy `{proxy+}`; an exact method beats `ANY`. Anything unmatched goes to `$default`, which
//! answers 405 with the methods [`RouteTable::allowed_methods`] finds for the path.

use crate::manifest::{Auth, Manifest, Trigger, DEFAULT_ROUTE};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    /// Higher is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 3,
            Segment::Param(_) => 2,
            Segment::Greedy(_) => 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Route {
    pub function: String,
    /// Upper-case method, or `ANY`.
    pub method: String,
    pub auth: Auth,
    /// `GET /v1/events/{id}`, or `$default`.
    pub route_key: String,
    /// The path template, `/v1/events/{id}`, or `$default`.
    pub path: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    pub route: &'a Route,
    pub path_parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    default: Option<Route>,
}

impl RouteTable {
    pub fn from_manifest(manifest: &Manifest) -> Self {
        let mut table = RouteTable::default();
        for f in &manifest.functions {
            let Trigger::Http { method, path, auth } = &f.trigger else {
                continue;
            };
            let method = method.to_ascii_uppercase();
            if path == DEFAULT_ROUTE {
                table.default = Some(Route {
                    function: f.name.clone(),
                    method,
                    auth: *auth,
                    route_key: DEFAULT_ROUTE.to_string(),
                    path: DEFAULT_ROUTE.to_string(),
                    segments: Vec::new(),
                });
                continue;
            }
            table.routes.push(Route {
                function: f.name.clone(),
                route_key: format!("{method} {path}"),
                method,
                auth: *auth,
                path: path.clone(),
                segments: parse_template(path),
            });
        }
        table
    }

    pub fn resolve(&self, method: &str, raw_path: &str) -> Option<RouteMatch<'_>> {
        let parts = split_path(raw_path);
        let best = self
            .routes
            .iter()
            // HTTP methods are case-sensitive: `post` is not `POST` and falls to `$default`.
            .filter(|r| r.method == "ANY" || r.method == method)
            .filter_map(|r| match_segments(&r.segments, &parts).map(|params| (r, params)))
            .max_by(|(a, _), (b, _)| specificity(a).cmp(&specificity(b)));
        match best {
            Some((route, path_parameters)) => Some(RouteMatch {
                route,
                path_parameters,
            }),
            None => self.default.as_ref().map(|route| RouteMatch {
                route,
                path_parameters: BTreeMap::new(),
            }),
        }
    }

    /// The methods of every route whose path template matches `raw_path`, whatever their method
    /// (`$default` aside): sorted, each once. Empty when no route has this path.
    pub fn allowed_methods(&self, raw_path: &str) -> Vec<String> {
        let parts = split_path(raw_path);
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|r| match_segments(&r.segments, &parts).is_some())
            .map(|r| r.method.clone())
            .collect();
        methods.sort();
        methods.dedup();
        methods
    }

    /// The manifest's routes in its order, `$default` excluded.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The `$default` route, if the manifest has one.
    pub fn default_route(&self) -> Option<&Route> {
        self.default.as_ref()
    }

    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.routes
            .iter()
            .chain(self.default.iter())
            .map(|r| r.function.as_str())
    }
}

fn specificity(r: &Route) -> (Vec<u8>, bool) {
    (
        r.segments.iter().map(Segment::rank).collect(),
        r.method != "ANY",
    )
}

fn parse_template(path: &str) -> Vec<Segment> {
    split_path(path)
        .into_iter()
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(greedy) => Segment::Greedy(greedy.to_string()),
                    None => Segment::Param(name.to_string()),
                },
                None => Segment::Literal(s.to_string()),
            },
        )
        .collect()
}

/// `/a/b/` → `["a", "b", ""]`: a trailing slash is a distinct (empty) segment, as in API Gateway.
fn split_path(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

fn match_segments(template: &[Segment], parts: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for (i, seg) in template.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                let rest = parts.get(i..)?;
                if rest.is_empty() || rest.iter().all(|p| p.is_empty()) {
                    return None;
                }
                params.insert(name.clone(), decode(&rest.join("/")));
                return Some(params);
            }
            Segment::Literal(lit) => {
                if parts.get(i)? != lit {
                    return None;
                }
            }
            Segment::Param(name) => {
                let part = parts.get(i)?;
                if part.is_empty() {
                    return None;
                }
                params.insert(name.clone(), decode(part));
            }
        }
    }
    (template.len() == parts.len()).then_some(params)
}

/// Percent-decodes `s`; a `%` not followed by two hex digits stays as it is, and bytes that are
/// not UTF-8 become U+FFFD.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex(hi).zip(hex(lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let m: Manifest = serde_json::from_value(serde_json::json!({
            "table": {"hash_key": "pk", "attributes": {"pk": "S"}},
            "functions": [
                {"name": "list", "trigger": {"kind": "http", "method": "GET", "path": "/v1/events", "auth": "jwt"}, "memory_mb": 128, "timeout_s": 3},
                {"name": "get", "trigger": {"kind": "http", "method": "GET", "path": "/v1/events/{id}", "auth": "jwt"}, "memory_mb": 128, "timeout_s": 3},
                {"name": "special", "trigger": {"kind": "http", "method": "GET", "path": "/v1/events/latest", "auth": "jwt"}, "memory_mb": 128, "timeout_s": 3},
                {"name": "any", "trigger": {"kind": "http", "method": "ANY", "path": "/v1/events/{id}", "auth": "jwt"}, "memory_mb": 128, "timeout_s": 3},
                {"name": "files", "trigger": {"kind": "http", "method": "GET", "path": "/files/{proxy+}"}, "memory_mb": 128, "timeout_s": 3},
                {"name": "fallback", "trigger": {"kind": "http", "method": "ANY", "path": "$default", "auth": "none"}, "memory_mb": 128, "timeout_s": 3},
                {"name": "agg", "trigger": {"kind": "dynamodb_stream"}, "memory_mb": 128, "timeout_s": 3}
            ]
        }))
        .unwrap();
        RouteTable::from_manifest(&m)
    }

    #[test]
    fn exact_path_and_method() {
        let t = table();
        let m = t.resolve("GET", "/v1/events").unwrap();
        assert_eq!(m.route.function, "list");
        assert_eq!(m.route.route_key, "GET /v1/events");
        assert_eq!(m.route.auth, Auth::Jwt);
        assert!(m.path_parameters.is_empty());
    }

    #[test]
    fn path_parameters_are_extracted_and_decoded() {
        let t = table();
        let m = t.resolve("GET", "/v1/events/01H%2Fx").unwrap();
        assert_eq!(m.route.function, "get");
        assert_eq!(m.path_parameters["id"], "01H/x");
    }

    #[test]
    fn literal_beats_parameter_and_exact_method_beats_any() {
        let t = table();
        assert_eq!(
            t.resolve("GET", "/v1/events/latest")
                .unwrap()
                .route
                .function,
            "special"
        );
        assert_eq!(
            t.resolve("DELETE", "/v1/events/x").unwrap().route.function,
            "any"
        );
    }

    #[test]
    fn greedy_parameter_takes_the_rest() {
        let t = table();
        let m = t.resolve("GET", "/files/a/b/c").unwrap();
        assert_eq!(m.route.function, "files");
        assert_eq!(m.path_parameters["proxy"], "a/b/c");
        assert_eq!(
            t.resolve("GET", "/files/").unwrap().route.function,
            "fallback"
        );
    }

    #[test]
    fn unmatched_goes_to_default() {
        let t = table();
        for (method, path) in [
            ("GET", "/nope"),
            ("POST", "/v1/events"),
            ("GET", "/v1/events/"),
            ("GET", "/v1/events/a/b"),
        ] {
            let m = t.resolve(method, path).unwrap();
            assert_eq!(m.route.function, "fallback", "{method} {path}");
            assert_eq!(m.route.route_key, "$default");
        }
    }

    #[test]
    fn allowed_methods_come_from_every_route_with_the_path() {
        let t = table();
        assert_eq!(t.allowed_methods("/v1/events"), ["GET"]);
        assert_eq!(t.allowed_methods("/v1/events/x"), ["ANY", "GET"]);
        assert_eq!(t.allowed_methods("/v1/events/latest"), ["ANY", "GET"]);
        for path in [
            "/",
            "/nope",
            "/v1/events/",
            "/v1/events/a/b",
            "$default",
            "/files/",
        ] {
            assert!(t.allowed_methods(path).is_empty(), "{path}");
        }
    }

    #[test]
    fn allowed_methods_follow_greedy_routes() {
        let t = table();
        assert_eq!(t.allowed_methods("/files/a"), ["GET"]);
        assert_eq!(t.allowed_methods("/files/a/b/c"), ["GET"]);
        assert_eq!(t.allowed_methods("/files/a/"), ["GET"]);
        assert!(t.allowed_methods("/files").is_empty());
    }

    #[test]
    fn routes_keep_their_template_and_the_manifest_order() {
        let t = table();
        let keys: Vec<&str> = t.routes().iter().map(|r| r.route_key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "GET /v1/events",
                "GET /v1/events/{id}",
                "GET /v1/events/latest",
                "ANY /v1/events/{id}",
                "GET /files/{proxy+}"
            ]
        );
        assert_eq!(t.routes()[1].path, "/v1/events/{id}");
        assert_eq!(t.default_route().unwrap().function, "fallback");
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(decode("a%2Fb%2fc"), "a/b/c");
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%E2%9C%93"), "\u{2713}");
        assert_eq!(decode("%FF"), "\u{FFFD}");
        assert_eq!(decode("%%41"), "%A");
    }

    #[test]
    fn no_default_means_no_match() {
        let m: Manifest = serde_json::from_value(serde_json::json!({
            "table": {"hash_key": "pk", "attributes": {"pk": "S"}},
            "functions": []
        }))
        .unwrap();
        assert!(RouteTable::from_manifest(&m).resolve("GET", "/").is_none());
    }
}
