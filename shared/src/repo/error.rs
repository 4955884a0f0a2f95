//! What can go wrong in storage, said in storage's own terms.
//!
//! Repositories, the edge stores and the stream consumer return [`StorageError`]; only the HTTP
//! edge turns it into an answer (`impl From<StorageError> for ApiError` in `crate::error`), and the
//! aggregator hands it to the Lambda runtime as it is.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Every message is for the logs: the HTTP edge never puts one on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// Throttled, timed out, unreachable, or still contended after retries: the same call may
    /// succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A stored item does not have the shape its entity requires.
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
    /// Anything else: a request DynamoDB refused, or one we could not even build.
    #[error("storage failed: {0}")]
    Internal(String),
}

impl StorageError {
    /// Throttling and unreachable endpoints are the caller's cue to retry; anything else is our
    /// bug. The SDK's own message is kept for the logs.
    pub fn from_sdk<E, R>(err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let detail = crate::aws::display_sdk_error(&err);
        match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Self::Unavailable(detail),
            SdkError::ServiceError(service) => match service.err().code() {
                Some(
                    "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable",
                ) => Self::Unavailable(detail),
                _ => Self::Internal(detail),
            },
            _ => Self::Internal(detail),
        }
    }

    /// A request builder refused its own input: a bug in how we build it.
    pub(crate) fn build(err: aws_sdk_dynamodb::error::BuildError) -> Self {
        Self::Internal(err.to_string())
    }
}
