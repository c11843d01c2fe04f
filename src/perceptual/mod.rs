//! Perceptual models: where quantization noise is least visible or audible.

pub mod audio;
pub mod visual;
