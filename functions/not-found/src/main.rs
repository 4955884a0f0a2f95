//! The `$default` route: whatever matched no route gets a problem+json 404, or a 405 with
//! `Allow` when the path exists under other methods. The route table is the function manifest,
//! compiled in, so this answer can never disagree with what is deployed.

mod handler;

use shared::Edge;
use shared::{http, wiring};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = wiring::start()?;
    let routes = handler::Routes::from_manifest(include_str!("../../manifest.json"))?;
    let edge = Edge::public_route(&config);
    http::serve(edge, |request| handler::handle(request, &routes)).await
}
