//! The packet-level audio decoder: one container packet in, the interleaved samples it
//! finishes out, for callers that receive packets one at a time (a media framework's pad,
//! a network) rather than a whole stream.
//!
//! It runs the same stages as the stream decoder, inline on the calling thread: the packet's
//! range decoding and dequantization (or, for lossless streams, its integer transform), then
//! the shared in-order step (`decode::InOrder`) that overlap-adds, trims the output to the
//! input's length, and conceals lost frames with silence. A damaged payload is concealed and
//! reported in the [`DecodeReport`], never an error, so a live stream keeps playing.

use std::io::Read;

use super::decode::{audio_params, decode_packet, decoded_packet, InOrder, Synthesis};
use super::lossless::{decode_lossless_packet, IntSynthesis};
use super::params::{AudioParams, AudioTransform};
use super::pool::Pool;
use super::Layouts;
use crate::codec::DecodeReport;
use crate::container::{ContainerReader, Damage, Packet, ReadEvent, StreamHeader};
use crate::error::{Limits, Result};
use crate::transform::intmdct::IntMdct;

/// The decoder of one mode with its in-order state (one per decoder, so the size
/// difference of the variants costs nothing).
#[allow(clippy::large_enum_variant)]
enum Mode {
    Mdct(InOrder<Synthesis>),
    Lossless(InOrder<IntSynthesis>, Pool<IntMdct>),
}

/// Decodes an audio stream packet by packet.
pub struct AudioPacketDecoder {
    params: AudioParams,
    layouts: Layouts,
    mode: Mode,
    report: DecodeReport,
    /// Damage reports already copied into `report`.
    reported: usize,
    finished: bool,
}

impl AudioPacketDecoder {
    /// A decoder for the stream `header` describes; fails unless it is a valid audio header.
    pub fn new(header: &StreamHeader, limits: &Limits) -> Result<AudioPacketDecoder> {
        let params = audio_params(header, limits)?;
        let mode = match params.transform {
            AudioTransform::Mdct => {
                Mode::Mdct(InOrder::new(Synthesis::new(params), params, limits))
            }
            AudioTransform::IntMdct => Mode::Lossless(
                InOrder::new(IntSynthesis::new(params), params, limits),
                Pool::new(),
            ),
        };
        Ok(AudioPacketDecoder {
            params,
            layouts: Layouts::new(&params),
            mode,
            report: DecodeReport::default(),
            reported: 0,
            finished: false,
        })
    }

    /// The stream parameters (sample rate, channels, frame size, ...).
    pub fn params(&self) -> &AudioParams {
        &self.params
    }

    /// Decodes one packet and returns the interleaved samples it finishes (after any silence
    /// that stands in for frames lost before it), trimmed to the stream's length.
    pub fn decode(&mut self, packet: &Packet) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        let mut sink = |s: &[f32]| {
            out.extend_from_slice(s);
            Ok(())
        };
        let (params, layouts) = (&self.params, &self.layouts);
        match &mut self.mode {
            Mode::Mdct(order) => {
                let decode = |p: &[u8]| decode_packet(p, params, layouts);
                let decoded = decoded_packet(&packet.payload, packet.sequence, params, &decode);
                order.take(decoded, &mut sink)?;
            }
            Mode::Lossless(order, pool) => {
                let decode = |p: &[u8]| decode_lossless_packet(p, params, &layouts.long, pool);
                let decoded = decoded_packet(&packet.payload, packet.sequence, params, &decode);
                order.take(decoded, &mut sink)?;
            }
        }
        self.sync_report();
        Ok(out)
    }

    /// Records a stretch of the stream that could not be read (the frames it held are
    /// concealed when the next packet shows where the stream resumes).
    pub fn lost(&mut self, damage: &Damage) {
        self.report.damage.push(damage.to_string());
    }

    /// Ends the stream: returns the silence that stands in for packets lost at the end, up
    /// to the length the end-of-stream payload gives (`None` when it never arrived, which
    /// the report then counts as incomplete).
    pub fn finish(&mut self, end_payload: Option<&[u8]>) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        if self.finished {
            return Ok(out);
        }
        self.finished = true;
        let mut sink = |s: &[f32]| {
            out.extend_from_slice(s);
            Ok(())
        };
        match &mut self.mode {
            Mode::Mdct(order) => order.finish(end_payload, &mut sink)?,
            Mode::Lossless(order, _) => order.finish(end_payload, &mut sink)?,
        }
        self.report.complete = end_payload.is_some();
        self.sync_report();
        Ok(out)
    }

    /// Samples per channel output so far.
    pub fn position(&self) -> u64 {
        match &self.mode {
            Mode::Mdct(order) => order.emitted(),
            Mode::Lossless(order, _) => order.emitted(),
        }
    }

    /// Damage and concealment so far.
    pub fn report(&self) -> &DecodeReport {
        &self.report
    }

    /// Copies the in-order step's new damage lines and concealment count into the report.
    fn sync_report(&mut self) {
        let (damage, concealed) = match &self.mode {
            Mode::Mdct(order) => (order.damage(), order.concealed()),
            Mode::Lossless(order, _) => (order.damage(), order.concealed()),
        };
        self.report
            .damage
            .extend_from_slice(&damage[self.reported..]);
        self.reported = damage.len();
        self.report.concealed = concealed;
    }
}

/// Reads an audio stream and yields its samples packet by packet, concealing damage: the
/// pull form of [`AudioPacketDecoder`] over a container reader.
pub struct AudioStreamDecoder<R: Read> {
    reader: ContainerReader<R>,
    decoder: AudioPacketDecoder,
    done: bool,
}

impl<R: Read> AudioStreamDecoder<R> {
    /// Reads the stream header; fails unless it is an audio stream.
    pub fn new(input: R, limits: Limits) -> Result<Self> {
        AudioStreamDecoder::from_reader(ContainerReader::new(input, limits)?, &limits)
    }

    /// Continues a reader whose header was read; fails unless it is an audio stream.
    pub fn from_reader(reader: ContainerReader<R>, limits: &Limits) -> Result<Self> {
        let decoder = AudioPacketDecoder::new(reader.header(), limits)?;
        Ok(AudioStreamDecoder {
            reader,
            decoder,
            done: false,
        })
    }

    /// The stream parameters.
    pub fn params(&self) -> &AudioParams {
        self.decoder.params()
    }

    /// The next run of interleaved samples (one packet's worth), or `Ok(None)` at the end
    /// of the stream, after which the output is exactly as long as the input was.
    pub fn next_samples(&mut self) -> Result<Option<Vec<f32>>> {
        while !self.done {
            let samples = match self.reader.next_event()? {
                Some(ReadEvent::Packet(packet)) => self.decoder.decode(&packet)?,
                Some(ReadEvent::Damaged(d)) => {
                    self.decoder.lost(&d);
                    continue;
                }
                None => {
                    self.done = true;
                    self.decoder.finish(self.reader.end_payload())?
                }
            };
            if !samples.is_empty() {
                return Ok(Some(samples));
            }
        }
        Ok(None)
    }

    /// Damage and concealment so far.
    pub fn report(&self) -> &DecodeReport {
        self.decoder.report()
    }
}
