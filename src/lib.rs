//! quanta: a streaming transform codec toolkit.
#![forbid(unsafe_code)]
pub mod error;
