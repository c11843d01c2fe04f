//! Codecs: each composes the stage functions for one media kind and knows nothing about
//! threads beyond handing its stages to the pipeline.

pub mod audio;
pub mod image;
pub mod target;
pub mod video;
