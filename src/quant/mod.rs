//! Quantization: scalar dead-zone quantizers, the audio codec's band quantizer and
//! rate-distortion optimized decisions.

pub mod band;
pub mod rdo;
pub mod scalar;
pub mod tables;
