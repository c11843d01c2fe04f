//! Perceptual models: where quantization noise is least visible or audible.

pub mod visual;
