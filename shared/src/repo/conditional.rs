//! Conditional writes: a condition that fails is an answer ("someone else got there first",
//! "not in the state you saw"), never an error.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use super::StorageError;

/// The error code of a write whose condition did not hold, for every write operation alike.
const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// The write's output, or `None` when its condition failed.
pub(crate) fn unless_refused<T, E, R>(
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, StorageError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(SdkError::ServiceError(service)) if service.err().code() == Some(CONDITION_FAILED) => {
            Ok(None)
        }
        Err(err) => Err(StorageError::from_sdk(err)),
    }
}
