//! What the packet-level encoders hand out: one coded packet with its place in the stream
//! and on the media timeline.

use crate::container::frame_packet;
use crate::error::Result;

/// One coded packet of an audio or video stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPacket {
    /// Its sequence number in the stream (0 for the first packet).
    pub sequence: u32,
    /// Decodable without any earlier packet.
    pub keyframe: bool,
    /// The codec payload.
    pub payload: Vec<u8>,
    /// Where its output starts on the decoded timeline: audio, in samples per channel
    /// (after the encoder's delay is removed, so the first packet starts at 0); video, in
    /// frames.
    pub pts: u64,
    /// How much output it finishes, in the same unit (audio packets add up to the input's
    /// length exactly).
    pub duration: u64,
}

impl EncodedPacket {
    /// The packet framed exactly as in a stream file: concatenating the stream header's
    /// bytes, every packet's framed bytes and the end packet gives a valid stream.
    pub fn framed(&self) -> Result<Vec<u8>> {
        frame_packet(self.sequence, self.keyframe, false, &self.payload)
    }
}
