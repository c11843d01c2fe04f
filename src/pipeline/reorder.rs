//! The reorder buffer: items arrive tagged with sequence numbers in any order, and leave in
//! sequence order, each as soon as every earlier one has left.
//!
//! It lives on the sink's thread. It has no size limit of its own: the pipeline's window
//! (the source may not run more than that many items ahead of the sink) bounds it.

use std::collections::BTreeMap;

/// Holds items that arrived before their turn.
pub(super) struct ReorderBuffer<T> {
    /// The sequence number of the next item to leave.
    next: u64,
    waiting: BTreeMap<u64, T>,
}

impl<T> ReorderBuffer<T> {
    /// An empty buffer expecting item 0 first.
    pub(super) fn new() -> ReorderBuffer<T> {
        ReorderBuffer {
            next: 0,
            waiting: BTreeMap::new(),
        }
    }

    /// Stores item `seq` until its turn.
    pub(super) fn insert(&mut self, seq: u64, item: T) {
        self.waiting.insert(seq, item);
    }

    /// Takes the next item in sequence, if it has arrived.
    pub(super) fn pop_next(&mut self) -> Option<T> {
        let item = self.waiting.remove(&self.next)?;
        self.next += 1;
        Some(item)
    }

    /// The number of items waiting for an earlier one.
    pub(super) fn len(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::ReorderBuffer;

    #[test]
    fn releases_items_in_sequence_order() {
        let mut buffer = ReorderBuffer::new();
        let mut out = Vec::new();
        for seq in [2, 0, 1, 5, 3, 4] {
            buffer.insert(seq, seq * 10);
            while let Some(item) = buffer.pop_next() {
                out.push(item);
            }
        }
        assert_eq!(out, [0, 10, 20, 30, 40, 50]);
        assert_eq!(buffer.len(), 0);
    }

    #[test]
    fn holds_items_until_the_gap_is_filled() {
        let mut buffer = ReorderBuffer::new();
        buffer.insert(1, 'b');
        buffer.insert(2, 'c');
        assert_eq!(buffer.pop_next(), None);
        assert_eq!(buffer.len(), 2);
        buffer.insert(0, 'a');
        assert_eq!(buffer.pop_next(), Some('a'));
        assert_eq!(buffer.pop_next(), Some('b'));
    }
}
