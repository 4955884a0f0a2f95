//! The HTTP side every API function shares, one job per module: reading the request API Gateway
//! passed on (`request`), building answers that always carry the security headers (`response`),
//! gzip for large answers (`compress`), and the Lambda runtime loop that puts the edge policies around a handler (`serve`). The
//! policies themselves live in `crate::edge`.

mod compress;
mod request;
mod response;
mod serve;

pub use request::{body_bytes, RequestParts};
pub use response::{json, no_content, HttpResult};
pub use serve::serve;
