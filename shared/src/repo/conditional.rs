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

/// Writes `item` unless an item with its key exists, and says whether the item stored is ours.
///
/// The SDK retries an attempt that timed out, and a timed-out `PutItem` may have landed: its
/// retry then finds the item and its `attribute_not_exists` condition fails. Under load that
/// turned successful creates into 500s. The refusal returns the existing item (DynamoDB's
/// `ReturnValuesOnConditionCheckFailure`), and an item equal to ours, id and timestamps included,
/// can only be our own earlier attempt: the create succeeded. Anything else is another item.
pub(crate) async fn put_new(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Result<bool, StorageError> {
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(item.clone()))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(service)) => match service.err() {
            PutItemError::ConditionalCheckFailedException(refused) => {
                Ok(refused.item.as_ref() == Some(&item))
            }
            _ => Err(StorageError::from_sdk(SdkError::ServiceError(service))),
        },
        Err(err) => Err(StorageError::from_sdk(err)),
    }
}
