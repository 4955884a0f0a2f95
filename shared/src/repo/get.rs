//! Reading one item by key. Always strongly consistent: every such read here decides a
//! conditional write, or answers right after one, where a stale copy would be wrong.

use aws_sdk_dynamodb::Client;

use super::attributes::Item;
use super::StorageError;

/// The item under `key`, or `None` when there is none.
pub(crate) async fn get_item(
    client: &Client,
    table: &str,
    key: Item,
) -> Result<Option<Item>, StorageError> {
    let output = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(StorageError::from_sdk)?;
    Ok(output.item.filter(|item| !item.is_empty()))
}
