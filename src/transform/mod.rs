//! Block transforms: the exact DCT family used by the image codec.
//!
//! Takes blocks of pixels centred on zero and gives orthonormal transform coefficients,
//! and back. Every transform a stream can use is named by a [`TransformId`] stored in the
//! stream header, so a decoder always inverts with the transform the encoder chose.

pub mod dct;
pub mod fft;
pub mod mdct;
pub mod window;

use crate::error::{Error, Result};

/// The transform a stream was coded with, as stored in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransformId {
    /// The exact 8×8 DCT-II (f32 forward, 13-bit fixed-point inverse).
    Dct,
}

impl TransformId {
    /// The byte stored in the stream header.
    pub fn to_u8(self) -> u8 {
        match self {
            TransformId::Dct => 0,
        }
    }

    /// Parses the header byte.
    pub fn from_u8(value: u8) -> Result<TransformId> {
        match value {
            0 => Ok(TransformId::Dct),
            other => Err(Error::Unsupported(format!(
                "transform id {other} (this build knows 0 = dct)"
            ))),
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TransformId::Dct => "dct",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(name: &str) -> Result<TransformId> {
        match name {
            "dct" => Ok(TransformId::Dct),
            other => Err(Error::InvalidArgument(format!(
                "unknown transform '{other}' (known: dct)"
            ))),
        }
    }
}
