//! What every list read shares: it asks DynamoDB for one item past the page, to learn whether
//! another page exists without a second request.

/// Cuts `items` back to `size`, and answers the last kept item when one was cut off: where the
/// next page continues. `None` when this is the last page.
pub(crate) fn cut_page<T>(items: &mut Vec<T>, size: usize) -> Option<&T> {
    let more = items.len() > size;
    items.truncate(size);
    if more {
        items.last()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_item_past_the_page_makes_a_next_page() {
        let mut full = vec![1, 2, 3];
        assert_eq!(cut_page(&mut full, 2), Some(&2));
        assert_eq!(full, [1, 2]);
        let mut exact = vec![1, 2];
        assert_eq!(cut_page(&mut exact, 2), None);
        assert_eq!(exact, [1, 2]);
        let mut empty: Vec<u8> = Vec::new();
        assert_eq!(cut_page(&mut empty, 2), None);
    }
}
