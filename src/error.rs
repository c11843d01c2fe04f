//! The one error type of quanta, and the limits every parser checks before it allocates.
//!
//! Every fallible function in the library returns [`Result`]. Messages name what was wrong
//! (the file, the packet, the field) and what was expected, so the command line can print
//! them as they are. [`Limits`] bounds every size that comes from untrusted bytes.

use std::path::Path;

/// Everything that can go wrong in quanta.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system I/O error, with what was being done when it happened.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a quanta stream at all (wrong magic, empty input).
    #[error("not a quanta stream: {0}")]
    NotQuanta(String),
    /// A well-formed stream that uses something this build does not support
    /// (a newer format version, an unknown transform id, an unsupported input format).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Damaged or inconsistent stream data: a bad CRC, a field out of range, a truncation.
    #[error("invalid stream: {0}")]
    InvalidStream(String),
    /// A size read from untrusted input is larger than the configured [`Limits`] allow.
    #[error("limit exceeded: {what} is {value}, the limit is {limit}")]
    Limit {
        what: &'static str,
        value: u64,
        limit: u64,
    },
    /// A bad option or argument given by the caller.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An input media file that could not be decoded (PNG, WAV, Y4M, ...).
    #[error("cannot read media: {0}")]
    Media(String),
    /// A pipeline worker failed or panicked.
    #[error("pipeline: {0}")]
    Pipeline(String),
}

/// The result type of the whole library.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with a sentence saying what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Wraps an I/O error that happened on `path`.
    pub fn io_path(action: &str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            context: format!("cannot {action} {}", path.display()),
            source,
        }
    }

    /// Shorthand for [`Error::InvalidStream`].
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::InvalidStream(message.into())
    }
}

/// Bounds on every size read from untrusted input, checked before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest picture width or height, in pixels.
    pub max_dimension: u32,
    /// Largest picture area, in pixels.
    pub max_pixels: u64,
    /// Largest packet payload, in bytes.
    pub max_packet_bytes: u32,
    /// Largest header parameter block, in bytes.
    pub max_header_bytes: u32,
    /// Largest number of audio channels.
    pub max_channels: u16,
    /// Largest audio sample rate, in Hz.
    pub max_sample_rate: u32,
    /// Longest run of lost frames a decoder fills with stand-ins (video) or silence
    /// (audio), in seconds of the stream's time (for video never more than 300 frames a
    /// second of it), so that a forged gap in the packet numbers or a forged stream length
    /// cannot talk it into hours of made-up output; a longer gap is reported as damage.
    pub max_concealed_seconds: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_dimension: 16_384,
            max_pixels: 64 * 1024 * 1024,
            max_packet_bytes: 64 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            max_channels: 8,
            max_sample_rate: 384_000,
            max_concealed_seconds: 600,
        }
    }
}

impl Limits {
    /// Checks `value <= limit`, returning [`Error::Limit`] naming `what` otherwise.
    pub fn check(what: &'static str, value: u64, limit: u64) -> Result<()> {
        if value > limit {
            Err(Error::Limit { what, value, limit })
        } else {
            Ok(())
        }
    }

    /// Checks a picture size: non-zero, each side and the area within the limits.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::invalid(format!(
                "picture size {width}x{height}: width and height must be at least 1"
            )));
        }
        Limits::check("picture width", width as u64, self.max_dimension as u64)?;
        Limits::check("picture height", height as u64, self.max_dimension as u64)?;
        Limits::check(
            "picture area in pixels",
            width as u64 * height as u64,
            self.max_pixels,
        )
    }
}
