//! The packet-level video encoder: frames pushed in, one coded packet per frame pulled
//! out with its timestamp, an end packet at the close.
//!
//! It is the stream encoder ([`super::VideoEncoder`]) run inline: each frame is analysed
//! on the call (the lookahead's analysis depends only on the source) and coded as soon as
//! it can be, and its payload is handed out instead of written. Without B-frames every
//! frame comes out on its own call, as the packets `quanta encode` writes. With B-frames
//! (`bframes` > 0) a group's frames wait for its anchor, the frame after them in display
//! order: then the anchor and its B-frames come out, in coding order (timestamps tell
//! the display order), so at most `bframes` frames are held ([`VideoPacketEncoder::delay`]).
//! Frames are described by a plain [`FrameFormat`].

use std::collections::VecDeque;

use super::encoder::{VideoEncoder, VideoEncoderConfig};
use super::params::VideoParams;
use crate::codec::EncodedPacket;
use crate::container::{frame_packet, StreamHeader};
use crate::error::{Error, Result};
use crate::media::y4m::{ChromaFormat, Y4mHeader, YuvFrame};

/// The frames an encoder is given: size, chroma layout (4:2:0, 4:2:2, 4:4:4 or luma only),
/// frame rate and pixel aspect ratio (kept in the stream for the decoder's output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameFormat {
    pub width: u32,
    pub height: u32,
    pub chroma: ChromaFormat,
    /// Frames per second as numerator and denominator.
    pub frame_rate: (u32, u32),
    /// Pixel aspect ratio as numerator and denominator (0:0 when unknown).
    pub pixel_aspect: (u32, u32),
    /// Field order: `p` progressive, `t` top field first, `b` bottom field first, `m`
    /// mixed, `?` unknown (the codec codes frames either way; the decoder reports it).
    pub interlace: char,
}

impl FrameFormat {
    /// Progressive frames with an unknown pixel aspect (0:0).
    pub fn new(width: u32, height: u32, chroma: ChromaFormat, frame_rate: (u32, u32)) -> Self {
        FrameFormat {
            width,
            height,
            chroma,
            frame_rate,
            pixel_aspect: (0, 0),
            interlace: 'p',
        }
    }
}

/// Encodes video packet by packet.
pub struct VideoPacketEncoder {
    encoder: VideoEncoder<std::io::Sink>,
    ready: VecDeque<EncodedPacket>,
    flushed: bool,
}

impl VideoPacketEncoder {
    /// An encoder for frames of `format`, coded as `config` asks (`threads` codes each
    /// frame's slices in parallel; `lookahead` is not needed: frames are analysed as they
    /// arrive).
    pub fn new(format: FrameFormat, config: &VideoEncoderConfig) -> Result<VideoPacketEncoder> {
        let (num, den) = format.frame_rate;
        if num == 0 || den == 0 {
            return Err(Error::InvalidArgument(format!(
                "frame rate {num}/{den}: both terms must be positive"
            )));
        }
        if !"ptbm?".contains(format.interlace) {
            return Err(Error::InvalidArgument(format!(
                "field order '{}': expected p, t, b, m or ?",
                format.interlace
            )));
        }
        let source = Y4mHeader {
            aspect: format.pixel_aspect,
            interlace: format.interlace,
            ..Y4mHeader::new(
                format.width,
                format.height,
                format.chroma,
                format.frame_rate,
            )
        };
        let mut encoder = VideoEncoder::new(std::io::sink(), &source, config)?;
        encoder.hand_out_packets();
        Ok(VideoPacketEncoder {
            encoder,
            ready: VecDeque::new(),
            flushed: false,
        })
    }

    /// The stream header.
    pub fn header(&self) -> &StreamHeader {
        self.encoder.header()
    }

    /// The stream header's bytes, the first unit of the stream.
    pub fn header_bytes(&self) -> Result<Vec<u8>> {
        self.encoder.header().encode()
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        self.encoder.params()
    }

    /// Frames held before a packet comes out: the B-frames of a group (0 without them).
    pub fn delay(&self) -> u64 {
        self.encoder.params().bframes as u64
    }

    /// Takes one frame (its planes must match the format) and codes what it completes:
    /// itself, or with B-frames a whole group once its anchor arrives.
    pub fn send_frame(&mut self, frame: &YuvFrame) -> Result<()> {
        if self.flushed {
            return Err(Error::InvalidArgument(
                "a frame sent to a video encoder after flush".into(),
            ));
        }
        self.encoder.push_frame(frame)?;
        self.collect()
    }

    /// Moves the packets the encoder handed out to the ready queue.
    fn collect(&mut self) -> Result<()> {
        while let Some(handed) = self.encoder.take_packet() {
            self.ready.push_back(EncodedPacket {
                sequence: packet_number(handed.index)?,
                keyframe: handed.stats.keyframe,
                payload: handed.payload,
                pts: handed.number,
                duration: 1,
            });
        }
        Ok(())
    }

    /// The next coded packet, in order, if one is ready.
    pub fn receive_packet(&mut self) -> Option<EncodedPacket> {
        self.ready.pop_front()
    }

    /// The decoder's output for the last frame coded (in coding order).
    pub fn reconstruction(&self) -> Option<&YuvFrame> {
        self.encoder.reconstruction()
    }

    /// Ends the input: the frames still held are coded (the last group shortened, its last
    /// frame as its anchor) and their packets made ready.
    pub fn flush(&mut self) -> Result<()> {
        if !self.flushed {
            self.flushed = true;
            self.encoder.flush_held()?;
            self.collect()?;
        }
        Ok(())
    }

    /// The framed end-of-stream packet (the frame count), after
    /// [`VideoPacketEncoder::flush`]; the stream ends with it.
    pub fn end_packet(&mut self) -> Result<Vec<u8>> {
        if !self.flushed {
            return Err(Error::InvalidArgument(
                "the end packet is written after flush".into(),
            ));
        }
        let frames = self.encoder.frames();
        let sequence = packet_number(frames)?;
        frame_packet(sequence, false, true, &frames.to_le_bytes())
    }
}

/// The container sequence number of packet `index` (one packet per frame).
fn packet_number(index: u64) -> Result<u32> {
    u32::try_from(index)
        .map_err(|_| Error::InvalidArgument("a stream holds at most 2^32 - 1 packets".into()))
}
