//! The damage report every packet-level decoder keeps: what could not be decoded, how much
//! was concealed, and whether the stream ended properly.

/// What a decode met on its way: one line per damaged stretch or undecodable packet, the
/// units concealed (audio frames or video frames), and whether the end-of-stream packet
/// was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeReport {
    /// One line per damaged stretch or undecodable packet, naming it.
    pub damage: Vec<String>,
    /// Frames replaced by stand-ins (silence for audio, the last good picture for video).
    pub concealed: u64,
    /// True once the stream's end-of-stream packet was decoded.
    pub complete: bool,
}

impl DecodeReport {
    /// True when nothing was damaged or concealed.
    pub fn is_clean(&self) -> bool {
        self.damage.is_empty() && self.concealed == 0
    }
}
