//! Webhook delivery, one job per module: which addresses may be reached (`address`), which URLs
//! a channel may have (`url`), secrets and signatures (`signing`), what an answer means and when
//! to retry (`retry`), and the HTTP client that sends (`sender`).

pub(crate) mod address;
pub(crate) mod retry;
pub(crate) mod sender;
pub(crate) mod signing;
pub(crate) mod url;

pub use retry::{parse_retry_after, retry_delay, Verdict, MAX_ATTEMPTS, MAX_RETRY_AFTER};
pub use sender::{AttemptOutcome, Delivery, WebhookSender, ATTEMPT_TIMEOUT, USER_AGENT};
pub use signing::SigningSecret;
pub use url::{UrlPolicy, WebhookUrl};
