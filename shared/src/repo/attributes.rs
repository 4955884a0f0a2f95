//! Items as structs. An entity is a struct that derives `Serialize` and `Deserialize` with the
//! stored attribute names; [`to_item`] puts it under its key, [`from_item`] reads it back, and
//! `serde_dynamo` does the mapping in between. A new entity needs no hand-written mapping.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StorageError;
use crate::keys::{self, Key};

pub type Item = HashMap<String, AttributeValue>;

/// A kind of item the table holds. Its fields are the item's attributes, less the key and the
/// `entity` attribute, which [`to_item`] adds.
pub trait Entity: Serialize + DeserializeOwned {
    /// The `entity` attribute, which tells stream consumers what an item is.
    const NAME: &'static str;
}

/// The item that stores `entity` under each of `keys` (its table key, and any index keys).
pub fn to_item<E: Entity>(entity: &E, keys: &[Key<'_>]) -> Result<Item, StorageError> {
    let mut item: Item = serde_dynamo::to_item(entity).map_err(|e| {
        StorageError::Internal(format!("could not map a {} to an item: {e}", E::NAME))
    })?;
    for key in keys {
        key.write_to(&mut item);
    }
    item.insert(keys::ENTITY.to_owned(), s(E::NAME));
    Ok(item)
}

/// Reads an entity back; the key and any attributes the entity does not name are ignored.
pub fn from_item<E: Entity>(item: Item) -> Result<E, StorageError> {
    serde_dynamo::from_item(item)
        .map_err(|e| StorageError::Corrupt(format!("stored {} does not map back: {e}", E::NAME)))
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
