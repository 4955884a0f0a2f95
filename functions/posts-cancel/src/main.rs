//! `DELETE /v1/posts/{id}`: cancels a draft or scheduled post.

mod handler;

use shared::repo::PostsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let posts = PostsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &posts)).await
}
