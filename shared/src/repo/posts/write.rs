//! One conditional change to a post item, built up as SET and REMOVE clauses plus a condition.
//!
//! Every change of a post's state is conditional on what the writer saw (its status, its
//! claim, its due time): building the expression in one place keeps the placeholders unique and
//! declares exactly the attribute names used, which DynamoDB requires.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::super::attributes::Item;
use super::super::StorageError;
use crate::domain::post::PostStatus;

#[derive(Debug, Default)]
pub(in crate::repo) struct Write {
    set: Vec<String>,
    remove: Vec<String>,
    conditions: Vec<String>,
    names: BTreeSet<&'static str>,
    values: HashMap<String, AttributeValue>,
}

impl Write {
    /// `attr = value`.
    pub fn set(mut self, attr: &'static str, value: AttributeValue) -> Self {
        let placeholder = format!(":set_{attr}");
        self.set.push(format!("#{attr} = {placeholder}"));
        self.names.insert(attr);
        self.values.insert(placeholder, value);
        self
    }

    pub fn set_status(self, status: PostStatus) -> Self {
        self.set(super::item::STATUS, s(status.as_str()))
    }

    /// `attr = <expression>`, for arithmetic; `names` are the attributes it reads.
    pub fn set_expr(
        mut self,
        attr: &'static str,
        expression: &str,
        names: &[&'static str],
    ) -> Self {
        self.set.push(format!("#{attr} = {expression}"));
        self.names.insert(attr);
        self.names.extend(names);
        self
    }

    pub fn remove(mut self, attrs: &[&'static str]) -> Self {
        for attr in attrs {
            self.remove.push(format!("#{attr}"));
            self.names.insert(attr);
        }
        self
    }

    /// Adds a condition (joined with AND); it names attributes as `#attr`, listed in `names`.
    pub fn when(mut self, condition: &str, names: &[&'static str]) -> Self {
        self.conditions.push(format!("({condition})"));
        self.names.extend(names);
        self
    }

    /// A value a condition or expression refers to by `placeholder`.
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }

    pub fn update_expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.set.is_empty() {
            parts.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            parts.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        parts.join(" ")
    }

    pub fn condition_expression(&self) -> Option<String> {
        (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "))
    }

    pub fn names(&self) -> HashMap<String, String> {
        self.names
            .iter()
            .map(|name| (format!("#{name}"), (*name).to_owned()))
            .collect()
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// The same change as one item of a `TransactWriteItems`.
    pub fn transact_update(&self, table: &str, key: Item) -> Result<Update, StorageError> {
        Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(self.update_expression())
            .set_condition_expression(self.condition_expression())
            .set_expression_attribute_names(Some(self.names()))
            .set_expression_attribute_values(self.values())
            .build()
            .map_err(StorageError::build)
    }
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_exactly_the_names_it_uses() {
        let write = Write::default()
            .set_status(PostStatus::Cancelled)
            .set_expr("attempts", "#attempts + :one", &[])
            .value(":one", AttributeValue::N("1".into()))
            .remove(&["claim", "due_at"])
            .when("#status IN (:a, :b)", &["status"])
            .value(":a", s("draft"))
            .value(":b", s("scheduled"));
        assert_eq!(
            write.update_expression(),
            "SET #status = :set_status, #attempts = #attempts + :one REMOVE #claim, #due_at"
        );
        assert_eq!(
            write.condition_expression().as_deref(),
            Some("(#status IN (:a, :b))")
        );
        let mut names: Vec<_> = write.names().into_keys().collect();
        names.sort();
        assert_eq!(names, ["#attempts", "#claim", "#due_at", "#status"]);
        let mut values: Vec<_> = write.values().unwrap().into_keys().collect();
        values.sort();
        assert_eq!(values, [":a", ":b", ":one", ":set_status"]);
    }
}
