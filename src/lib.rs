//! quanta: a streaming transform codec toolkit.
//!
//! quanta compresses pictures, audio and video with transform codecs: block transforms
//! (exact, integer and multiplierless DCTs; the MDCT and an integer MDCT for audio),
//! perceptual quantization with rate-distortion decisions, and context-adaptive binary range
//! coding, in a self-describing streamable container. It measures what every setting costs
//! in bits and in quality.
//!
//! The main entry points: pictures, [`codec::image::encode_picture`] and
//! [`codec::image::decode_picture`]; audio, [`codec::audio`] (lossy and lossless); video,
//! [`codec::video`] (a frame encoder and a stream decoder); [`media`] for reading and
//! writing picture, audio and Y4M files, and [`metrics`] for PSNR, SSIM, SNR and BD-rate. docs/ARCHITECTURE.md maps the
//! modules; docs/FORMAT.md specifies the bitstream.
#![deny(unsafe_code)]

// CPU feature dispatch of the hot kernels: the only module allowed `unsafe`.
pub(crate) mod arch;
#[cfg(feature = "bench")]
pub mod bench;
pub mod codec;
pub mod container;
pub(crate) mod entropy;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod media;
pub mod metrics;
pub mod perceptual;
pub(crate) mod pipeline;
pub(crate) mod quant;
#[cfg(feature = "bench")]
pub mod report;
pub mod signal;
pub mod stream;
pub mod transform;

pub use error::{Error, Limits, Result};
pub use pipeline::{RunStats, StageStats};
pub use stream::{
    open, open_with_threads, read_unit, AudioFormat, AudioPacketDecoder, AudioPacketEncoder,
    AudioStreamDecoder, DecodeReport, EncodedPacket, FrameFormat, Opened, Packet, PictureStream,
    StreamHeader, Unit, VideoPacketDecoder, VideoPacketEncoder, VideoStreamDecoder,
};
