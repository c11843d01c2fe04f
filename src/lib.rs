//! quanta: a streaming transform codec toolkit.
//!
//! quanta compresses pictures (and, as they land, audio and video) with transform codecs:
//! a block transform, perceptual quantization with rate-distortion decisions, and
//! context-adaptive binary range coding, in a self-describing streamable container. It
//! measures what every setting costs in bits and in quality.
//!
//! The main entry points are [`codec::image::encode_picture`] and
//! [`codec::image::decode_picture`], [`media::image`] for reading and writing picture
//! files, and [`metrics`] for PSNR, SSIM and BD-rate. docs/ARCHITECTURE.md maps the
//! modules; docs/FORMAT.md specifies the bitstream.
#![forbid(unsafe_code)]

pub mod bench;
pub mod codec;
pub mod container;
pub mod entropy;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod media;
pub mod metrics;
pub mod perceptual;
pub mod pipeline;
pub mod quant;
pub mod report;
pub mod signal;
pub mod transform;

pub use error::{Error, Limits, Result};
