//! A pool of per-worker state for the audio pipeline stages: planned transforms and
//! analyzers are costly to build, so a worker takes one, uses it for a packet and puts it
//! back.
//!
//! In: a function that builds a new item when the pool is empty. Out: the item lent to a
//! closure for one call. At most as many items exist as workers ever ran at once; a
//! poisoned lock (a panicking worker, which the pipeline reports anyway) only means a fresh
//! item is built.

use std::sync::Mutex;

/// Items of one kind lent to workers one call at a time.
#[derive(Debug)]
pub(super) struct Pool<T> {
    items: Mutex<Vec<T>>,
}

impl<T> Pool<T> {
    /// An empty pool.
    pub(super) fn new() -> Pool<T> {
        Pool {
            items: Mutex::new(Vec::new()),
        }
    }

    /// Runs `use_item` on an item taken from the pool (or built by `build`), then puts the
    /// item back.
    pub(super) fn with<R>(
        &self,
        build: impl FnOnce() -> T,
        use_item: impl FnOnce(&mut T) -> R,
    ) -> R {
        let taken = self.items.lock().ok().and_then(|mut items| items.pop());
        let mut item = taken.unwrap_or_else(build);
        let result = use_item(&mut item);
        if let Ok(mut items) = self.items.lock() {
            items.push(item);
        }
        result
    }
}
