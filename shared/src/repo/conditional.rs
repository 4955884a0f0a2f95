//! Conditional updates: a condition that fails is an answer ("someone else got there first",
//! "not in the state you saw"), never an error.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use super::StorageError;

/// The update's output, or `None` when its condition failed.
pub(crate) fn unless_refused<T, R>(
    result: Result<T, SdkError<UpdateItemError, R>>,
) -> Result<Option<T>, StorageError>
where
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(UpdateItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Ok(None)
        }
        Err(err) => Err(StorageError::from_sdk(err)),
    }
}
