//! The library's front door: open any quanta stream, and encode or decode audio and video
//! packet by packet, with the same shapes for every media kind.
//!
//! [`open`] reads a stream's header once and returns the pull decoder for its media kind
//! ([`Opened`]): audio and video give their output run by run until `Ok(None)`, a picture
//! decodes in one call. For packet-level work (a media framework, a network transport),
//! the packet encoders take samples or frames and give [`EncodedPacket`]s with timestamps
//! and durations, and the packet decoders take [`Packet`]s (from a [`ContainerReader`], or
//! parsed one unit at a time with [`read_unit`]) and give samples or frames. Every decoder
//! keeps one kind of [`DecodeReport`].
//!
//! ```no_run
//! # fn main() -> quanta::Result<()> {
//! let file = std::fs::File::open("clip.qnt").map_err(|e| quanta::Error::io("open", e))?;
//! match quanta::open(std::io::BufReader::new(file), &quanta::Limits::default())? {
//!     quanta::Opened::Audio(mut audio) => {
//!         while let Some(samples) = audio.next_samples()? {
//!             println!("{} samples", samples.len());
//!         }
//!     }
//!     quanta::Opened::Video(mut video) => {
//!         while let Some(frame) = video.next_frame()? {
//!             println!("frame, concealed: {}", frame.concealed);
//!         }
//!     }
//!     quanta::Opened::Picture(picture) => {
//!         let decoded = picture.decode()?;
//!         println!("{}x{}", decoded.picture.width, decoded.picture.height);
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::io::Read;

pub use crate::codec::audio::{
    AudioFormat, AudioPacketDecoder, AudioPacketEncoder, AudioStreamDecoder,
};
pub use crate::codec::image::DecodedPicture;
pub use crate::codec::video::{
    DecodedFrame, FrameFormat, VideoPacketDecoder, VideoPacketEncoder, VideoStreamDecoder,
};
pub use crate::codec::{DecodeReport, EncodedPacket};
pub use crate::container::{read_unit, ContainerReader, Packet, StreamHeader, Unit};

use crate::codec::image::{decode_picture_stream, ImageDecodeOptions};
use crate::container::MediaKind;
use crate::error::{Limits, Result};

/// An opened stream: the decoder for its media kind (one per stream, so the size
/// difference of the variants costs nothing).
#[allow(clippy::large_enum_variant)]
pub enum Opened<R: Read> {
    Picture(PictureStream<R>),
    Audio(AudioStreamDecoder<R>),
    Video(VideoStreamDecoder<R>),
}

impl<R: Read> Opened<R> {
    /// The media kind of the stream.
    pub fn media(&self) -> MediaKind {
        match self {
            Opened::Picture(_) => MediaKind::Image,
            Opened::Audio(_) => MediaKind::Audio,
            Opened::Video(_) => MediaKind::Video,
        }
    }
}

/// Reads the stream header from `reader` and returns the decoder for its media kind. The
/// video and picture decoders use every core; see [`open_with_threads`].
pub fn open<R: Read>(reader: R, limits: &Limits) -> Result<Opened<R>> {
    open_with_threads(reader, limits, 0)
}

/// [`open`], with the number of worker threads for video and pictures (0: one per core).
pub fn open_with_threads<R: Read>(reader: R, limits: &Limits, threads: usize) -> Result<Opened<R>> {
    let reader = ContainerReader::new(reader, *limits)?;
    Ok(match reader.header().media {
        MediaKind::Audio => Opened::Audio(AudioStreamDecoder::from_reader(reader, limits)?),
        MediaKind::Video => {
            Opened::Video(VideoStreamDecoder::from_reader(reader, limits, threads)?)
        }
        MediaKind::Image => Opened::Picture(PictureStream {
            reader,
            options: ImageDecodeOptions {
                threads,
                limits: *limits,
            },
        }),
    })
}

/// A picture stream whose header was read.
pub struct PictureStream<R: Read> {
    reader: ContainerReader<R>,
    options: ImageDecodeOptions,
}

impl<R: Read> PictureStream<R> {
    /// The stream header.
    pub fn header(&self) -> &StreamHeader {
        self.reader.header()
    }

    /// Decodes the picture (damaged tiles are concealed and listed in its report).
    pub fn decode(self) -> Result<DecodedPicture>
    where
        R: Send,
    {
        decode_picture_stream(self.reader, &self.options)
    }
}
