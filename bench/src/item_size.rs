//! DynamoDB's billing size of an item: attribute names plus values, as its documentation counts
//! them (strings and binaries by length, numbers about one byte per two digits plus one, and a few
//! bytes of overhead per nested value). Approximate by a few bytes, which never moves a unit.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub fn item_bytes(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_bytes(v)).sum()
}

fn value_bytes(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|x| 1 + value_bytes(x)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, x)| 1 + k.len() + value_bytes(x))
                .sum::<usize>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_names_and_values() {
        let item = HashMap::from([
            ("pk".to_string(), AttributeValue::S("T#a#EV".into())),
            ("n".to_string(), AttributeValue::N("1234".into())),
        ]);
        assert_eq!(item_bytes(&item), 2 + 6 + 1 + 3);
    }
}
