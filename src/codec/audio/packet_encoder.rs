//! The packet-level audio encoder: interleaved samples pushed in as they come, coded
//! packets pulled out with their timestamps, flushed at the end.
//!
//! It runs the stream encoder's stages ([`super::stages::EncodePlan`]) inline on the
//! calling thread, over the same framer: samples wait in a queue until the framer has
//! all it needs for the next packet group (the group's frames plus one frame of overlap on
//! either side), so the bytes are exactly those [`super::encode_audio`] writes for the same
//! input and configuration, whatever the sizes of the pushed chunks.

use std::collections::VecDeque;

use super::framer::Framer;
use super::params::{end_payload, AudioParams};
use super::stages::EncodePlan;
use super::{AudioEncoderConfig, RateControl};
use crate::codec::EncodedPacket;
use crate::container::{frame_packet, StreamHeader};
use crate::error::{Error, Result};
use crate::media::audio::{AudioSource, PcmDepth};

/// The format of the samples an encoder is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Interleaved channels (1 or 2).
    pub channels: usize,
    /// What the samples were before they became `f32` (lossless mode needs integer PCM:
    /// 16-bit samples as `i / 32768`, 24-bit as `i / 8388608`).
    pub depth: PcmDepth,
}

/// The queue between [`AudioPacketEncoder::send_samples`] and the framer.
struct Queue {
    format: AudioFormat,
    samples: VecDeque<f32>,
}

impl AudioSource for Queue {
    fn pcm_depth(&self) -> PcmDepth {
        self.format.depth
    }
    fn sample_rate(&self) -> u32 {
        self.format.sample_rate
    }
    fn channels(&self) -> usize {
        self.format.channels
    }
    fn total_samples(&self) -> Option<u64> {
        None
    }
    fn read_frames(&mut self, out: &mut Vec<f32>, frames: usize) -> Result<usize> {
        let channels = self.format.channels;
        let take = frames.min(self.samples.len() / channels);
        out.extend(self.samples.drain(..take * channels));
        Ok(take)
    }
}

/// Encodes audio packet by packet.
pub struct AudioPacketEncoder {
    plan: EncodePlan,
    framer: Framer<Queue>,
    rate: Option<RateControl>,
    ready: VecDeque<EncodedPacket>,
    sequence: u32,
    frames_total: u64,
    flushed: bool,
    ended: bool,
}

impl AudioPacketEncoder {
    /// An encoder for samples of `format`, coded as `config` asks (its `threads` is not
    /// used: the packet encoder works on the calling thread).
    pub fn new(format: AudioFormat, config: &AudioEncoderConfig) -> Result<AudioPacketEncoder> {
        let plan = EncodePlan::new(
            format.sample_rate,
            format.channels,
            format.depth,
            None,
            config,
        )?;
        let queue = Queue {
            format,
            samples: VecDeque::new(),
        };
        let framer = Framer::new(
            queue,
            plan.params,
            plan.frame_multiple(),
            plan.transient_threshold(),
        );
        Ok(AudioPacketEncoder {
            rate: plan.rate_control(),
            plan,
            framer,
            ready: VecDeque::new(),
            sequence: 0,
            frames_total: 0,
            flushed: false,
            ended: false,
        })
    }

    /// The stream header (its parameters leave the length unknown: the end packet gives it).
    pub fn header(&self) -> &StreamHeader {
        &self.plan.header
    }

    /// The stream header's bytes, the first unit of the stream.
    pub fn header_bytes(&self) -> Result<Vec<u8>> {
        self.plan.header.encode()
    }

    /// The stream parameters.
    pub fn params(&self) -> &AudioParams {
        &self.plan.params
    }

    /// Samples per channel the encoder holds before its first packet can come out: one
    /// packet of frames and a frame of overlap on either side.
    pub fn delay(&self) -> u64 {
        let p = &self.plan.params;
        (p.frames_per_packet as u64 + 1) * p.frame_size as u64
    }

    /// Queues interleaved samples (in [-1, 1)) and codes every packet they complete.
    pub fn send_samples(&mut self, interleaved: &[f32]) -> Result<()> {
        if self.flushed {
            return Err(Error::InvalidArgument(
                "samples sent to an audio encoder after flush".into(),
            ));
        }
        let channels = self.plan.params.channels as usize;
        if interleaved.len() % channels != 0 {
            return Err(Error::InvalidArgument(format!(
                "{} samples do not make whole frames of {channels} channels",
                interleaved.len()
            )));
        }
        if let Some(bad) = interleaved.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidArgument(format!(
                "the samples hold a non-finite value ({bad})"
            )));
        }
        self.framer
            .source_mut()
            .samples
            .extend(interleaved.iter().copied());
        loop {
            let queued = (self.framer.source_mut().samples.len() / channels) as u64;
            let wanted = self.framer.samples_wanted();
            if queued < wanted.max(1) {
                return Ok(());
            }
            if !self.code_next_group()? {
                return Ok(());
            }
        }
    }

    /// The next coded packet, in order, if one is ready.
    pub fn receive_packet(&mut self) -> Option<EncodedPacket> {
        self.ready.pop_front()
    }

    /// Ends the input and codes what is left (the last packets are then ready).
    pub fn flush(&mut self) -> Result<()> {
        if self.flushed {
            return Ok(());
        }
        self.flushed = true;
        while self.code_next_group()? {}
        Ok(())
    }

    /// The framed end-of-stream packet (the input's length, for gapless decoding), after
    /// [`AudioPacketEncoder::flush`]; the stream ends with it.
    pub fn end_packet(&mut self) -> Result<Vec<u8>> {
        if !self.flushed {
            return Err(Error::InvalidArgument(
                "the end packet is written after flush".into(),
            ));
        }
        self.ended = true;
        let payload = end_payload(self.framer.total, self.frames_total);
        frame_packet(self.sequence, false, true, &payload)
    }

    /// Samples per channel received so far.
    pub fn samples_in(&self) -> u64 {
        self.framer.total
    }

    /// Cuts, analyses and codes the next group; false when the framer has no more.
    fn code_next_group(&mut self) -> Result<bool> {
        let Some(group) = self.framer.next_group()? else {
            return Ok(false);
        };
        let analysed = self.plan.analyze(&group)?;
        let payload = self.plan.code(analysed, self.rate.as_mut());
        let n = self.plan.params.frame_size as u64;
        self.frames_total = group.first_frame + group.frames as u64;
        self.ready.push_back(EncodedPacket {
            sequence: self.sequence,
            keyframe: true,
            payload,
            pts: group.first_frame.saturating_sub(1) * n,
            duration: group.output_samples as u64,
        });
        self.sequence = self.sequence.checked_add(1).ok_or_else(|| {
            Error::InvalidArgument("a stream holds at most 2^32 - 1 packets".into())
        })?;
        Ok(true)
    }
}
