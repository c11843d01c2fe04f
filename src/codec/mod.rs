//! Codecs: each composes the stage functions for one media kind and knows nothing about
//! threads beyond handing its stages to the pipeline.

pub mod audio;
pub(crate) mod block;
pub mod image;
mod packet;
mod report;
pub mod target;
pub mod video;
pub use packet::EncodedPacket;
pub use report::DecodeReport;
