//! Quantization: scalar dead-zone quantizers and rate-distortion optimized decisions.

pub mod rdo;
pub mod scalar;
pub mod tables;
