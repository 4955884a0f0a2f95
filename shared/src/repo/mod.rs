//! DynamoDB repositories. Every method takes the tenant; keys come only from `crate::keys`.

pub mod attributes;
pub mod counters;
pub mod events;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::error::ApiError;

/// Throttling and unreachable endpoints are the caller's cue to retry (503); anything else is
/// our bug (500). The SDK's own message goes to the logs, never to the client.
pub(crate) fn storage_error<E, R>(err: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = crate::aws::display_sdk_error(&err);
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ApiError::Unavailable(detail),
        SdkError::ServiceError(service) => match service.err().code() {
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable",
            ) => ApiError::Unavailable(detail),
            _ => ApiError::Internal(detail),
        },
        _ => ApiError::Internal(detail),
    }
}
