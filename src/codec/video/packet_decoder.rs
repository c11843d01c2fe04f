//! The packet-level video decoder: container packets in (or reports of lost ones), frames
//! out, one at a time, damage concealed.
//!
//! [`VideoPacketDecoder::send_packet`] takes the next packet; [`VideoPacketDecoder::
//! receive_frame`] then gives the frames it makes, in order: first a stand-in for each
//! packet lost before it (a gap in the sequence numbers, or [`VideoPacketDecoder::lost`]),
//! at most [`Limits::max_concealed_seconds`] of them per gap and made only as they are
//! taken, so memory stays bounded; then the packet's own frame, or its stand-in when it
//! cannot be decoded or is an inter frame after damage (until the next keyframe). Every
//! problem is listed in the [`DecodeReport`].

use super::decoder::{DecodedFrame, VideoDecoder, MAX_CONCEALED_FPS};
use super::params::VideoParams;
use crate::codec::DecodeReport;
use crate::container::{Damage, MediaKind, Packet, StreamHeader};
use crate::error::{Error, Limits, Result};
use crate::transform::TransformId;

/// Decodes a video stream packet by packet.
pub struct VideoPacketDecoder {
    decoder: VideoDecoder,
    /// Most stand-ins for one gap.
    max_run: u64,
    /// The sequence number the next packet should carry.
    expected: u64,
    /// Stand-ins still to hand out for lost packets, and why.
    pending_lost: u64,
    pending_reason: String,
    /// The frame of the last packet sent, until taken.
    pending_frame: Option<DecodedFrame>,
    report: DecodeReport,
}

impl VideoPacketDecoder {
    /// A decoder for the stream `header` describes, decoding each frame's slices on
    /// `threads` threads (0: one per core); fails unless it is a valid video header.
    pub fn new(header: &StreamHeader, limits: &Limits, threads: usize) -> Result<Self> {
        if header.media != MediaKind::Video {
            return Err(Error::Unsupported(format!(
                "the stream holds {}, not video",
                header.media.name()
            )));
        }
        let transform = TransformId::from_u8(header.transform)?;
        let params = VideoParams {
            transform,
            ..VideoParams::from_bytes(&header.params, limits)?
        };
        let seconds = limits.max_concealed_seconds as u64;
        let frames = (seconds as f64 / params.frame_seconds()).ceil();
        let max_run = (frames.min((seconds * MAX_CONCEALED_FPS) as f64) as u64).max(1);
        Ok(VideoPacketDecoder {
            decoder: VideoDecoder::new(params, threads),
            max_run,
            expected: 0,
            pending_lost: 0,
            pending_reason: String::new(),
            pending_frame: None,
            report: DecodeReport::default(),
        })
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        self.decoder.params()
    }

    /// Most stand-in frames for one gap in the packet sequence.
    pub fn max_concealed_run(&self) -> u64 {
        self.max_run
    }

    /// Takes the next packet; its frames come out of [`VideoPacketDecoder::receive_frame`].
    /// Frames of the previous packet not yet taken are dropped.
    pub fn send_packet(&mut self, packet: &Packet) {
        let sequence = u64::from(packet.sequence);
        if sequence < self.expected {
            self.report.damage.push(format!(
                "packet {sequence} arrived after packet {}: skipped",
                self.expected - 1
            ));
            return;
        }
        if sequence > self.expected {
            let reason = format!("packets {} to {} are missing", self.expected, sequence - 1);
            self.report.damage.push(reason.clone());
            self.start_gap(sequence - self.expected, reason);
        }
        self.expected = sequence + 1;
        let frame = if !packet.keyframe && self.decoder.waiting_for_key() {
            self.stand_in(format!(
                "packet {sequence}: inter frame after damage, concealed until the next keyframe"
            ))
        } else {
            match self.decoder.decode(&packet.payload) {
                Ok(frame) => DecodedFrame {
                    frame,
                    concealed: false,
                    problem: None,
                },
                Err(e) => {
                    let text = format!("packet {sequence}: {e}");
                    self.report.damage.push(text.clone());
                    self.stand_in(text)
                }
            }
        };
        self.pending_frame = Some(frame);
    }

    /// Records a stretch of the stream that could not be read: the packets it lost get
    /// stand-ins (from the next [`VideoPacketDecoder::receive_frame`] on), and inter frames
    /// are concealed until the next keyframe.
    pub fn lost(&mut self, damage: &Damage) {
        self.report.damage.push(damage.to_string());
        let lost = damage
            .lost_sequences
            .end
            .saturating_sub(damage.lost_sequences.start) as u64;
        if lost > 0 {
            self.start_gap(lost, damage.to_string());
            self.expected = self.expected.max(u64::from(damage.lost_sequences.end));
        }
        self.decoder.mark_damaged();
    }

    /// The next frame, in order: stand-ins for lost packets first, then the last packet's.
    pub fn receive_frame(&mut self) -> Option<DecodedFrame> {
        if self.pending_lost > 0 {
            self.pending_lost -= 1;
            let reason = self.pending_reason.clone();
            return Some(self.stand_in(reason));
        }
        self.pending_frame.take()
    }

    /// Sends a packet and takes all its frames (a gap of lost packets gives up to
    /// [`VideoPacketDecoder::max_concealed_run`] stand-ins at once).
    pub fn decode(&mut self, packet: &Packet) -> Result<Vec<DecodedFrame>> {
        self.send_packet(packet);
        Ok(std::iter::from_fn(|| self.receive_frame()).collect())
    }

    /// Ends the stream: `end_payload` is the end-of-stream packet's payload, `None` when
    /// the stream stopped without one.
    pub fn finish(&mut self, end_payload: Option<&[u8]>) {
        self.report.complete = end_payload.is_some();
    }

    /// Damage and concealment so far.
    pub fn report(&self) -> &DecodeReport {
        &self.report
    }

    /// The frame decoder inside, for this module's tests.
    #[cfg(test)]
    pub(super) fn decoder_mut(&mut self) -> &mut VideoDecoder {
        &mut self.decoder
    }

    /// Starts handing out `lost` stand-ins (at most one gap's worth).
    fn start_gap(&mut self, lost: u64, reason: String) {
        // A forged gap must not turn into an endless run of stand-ins.
        self.pending_lost = lost.min(self.max_run);
        self.pending_reason = reason;
        self.decoder.mark_damaged();
    }

    /// A stand-in frame, counted in the report.
    fn stand_in(&mut self, problem: String) -> DecodedFrame {
        self.report.concealed += 1;
        DecodedFrame {
            frame: self.decoder.conceal(),
            concealed: true,
            problem: Some(problem),
        }
    }
}
