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
//!
//! In streams with B-frames, frames are decoded in coding order and shown in display
//! order: decoded frames wait (at most [`VideoParams::bframes`] of them) until every frame
//! shown before them is out; a keyframe, a stand-in and the end of the stream
//! ([`VideoPacketDecoder::finish`]) release all that wait first.

use std::collections::VecDeque;

use super::decoder::{DecodedFrame, FrameInfo, VideoDecoder, MAX_CONCEALED_FPS};
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
    /// What is ready to hand out, in display order.
    ready: VecDeque<Output>,
    /// Decoded frames waiting for the frames shown before them, with their numbers.
    held: Vec<(u32, DecodedFrame)>,
    report: DecodeReport,
}

/// One entry of the output queue.
enum Output {
    Frame(DecodedFrame),
    /// This many stand-ins for lost packets, made as they are taken, and why.
    Lost(u64, String),
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
            ready: VecDeque::new(),
            held: Vec::new(),
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
        if !packet.keyframe && self.decoder.waiting_for_key() {
            let reason = format!(
                "packet {sequence}: inter frame after damage, concealed until the next keyframe"
            );
            self.release_held();
            self.ready.push_back(Output::Lost(1, reason));
            return;
        }
        match self.decoder.decode_numbered(&packet.payload) {
            Ok((info, frame)) => self.hold(
                info,
                DecodedFrame {
                    frame,
                    concealed: false,
                    problem: None,
                },
            ),
            Err(e) => {
                let text = format!("packet {sequence}: {e}");
                self.report.damage.push(text.clone());
                self.release_held();
                self.ready.push_back(Output::Lost(1, text));
            }
        }
    }

    /// Puts a decoded frame among those waiting for display order, and hands out those
    /// that no later packet can precede.
    fn hold(&mut self, info: FrameInfo, frame: DecodedFrame) {
        if info.key {
            // Nothing after a keyframe is shown before it.
            self.release_held();
        }
        self.held.push((info.number, frame));
        while self.held.len() > self.decoder.params().bframes as usize {
            self.release_first();
        }
    }

    /// Hands out the waiting frame shown first.
    fn release_first(&mut self) {
        let first = (0..self.held.len()).min_by_key(|&i| self.held[i].0);
        if let Some(i) = first {
            let (_, frame) = self.held.remove(i);
            self.ready.push_back(Output::Frame(frame));
        }
    }

    /// Hands out every waiting frame, in display order.
    fn release_held(&mut self) {
        while !self.held.is_empty() {
            self.release_first();
        }
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
        match self.ready.pop_front()? {
            Output::Frame(frame) => Some(frame),
            Output::Lost(count, reason) => {
                if count > 1 {
                    self.ready
                        .push_front(Output::Lost(count - 1, reason.clone()));
                }
                Some(self.stand_in(reason))
            }
        }
    }

    /// Sends a packet and takes all its frames (a gap of lost packets gives up to
    /// [`VideoPacketDecoder::max_concealed_run`] stand-ins at once).
    pub fn decode(&mut self, packet: &Packet) -> Result<Vec<DecodedFrame>> {
        self.send_packet(packet);
        Ok(std::iter::from_fn(|| self.receive_frame()).collect())
    }

    /// Ends the stream: `end_payload` is the end-of-stream packet's payload, `None` when
    /// the stream stopped without one. Frames still waiting for display order are then
    /// ready for [`VideoPacketDecoder::receive_frame`].
    pub fn finish(&mut self, end_payload: Option<&[u8]>) {
        self.report.complete = end_payload.is_some();
        self.release_held();
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
        self.release_held();
        self.ready
            .push_back(Output::Lost(lost.min(self.max_run), reason));
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
