//! The `$default` route: whatever matched no route gets a problem+json 404, or a 405 with
//! `Allow` when the path exists under other methods. The route table is the function manifest,
//! compiled in, so this answer can never disagree with what is deployed.

mod handler;

use shared::config::Environment;
use shared::edge::Edge;
use shared::{http, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init()?;
    let routes = handler::Routes::from_manifest(include_str!("../../manifest.json"))?;
    let edge = Edge::public(Environment::from_env()?)?;
    http::serve(edge, |request| handler::handle(request, &routes)).await
}
