//! The audio decoder: a quanta stream in, interleaved `f32` samples out, sample-exact.
//!
//! Packets are entropy-decoded on N workers (for the MDCT: range decoding of each frame's
//! window and levels, and dequantization; for the lossless integer MDCT also the inverse
//! DCT-IV pairs), and a [`Synthesizer`] turns frames into samples in stream order in the
//! sink (inverse MDCT under the frame's block-switched window and overlap-add, or the inverse
//! window rotations). The in-order logic is shared by both modes: each packet's prefix says
//! which frame it starts at and how many output samples it finishes, so the output is
//! trimmed exactly; frames lost before a packet, in a damaged packet or at the end (up to
//! the known length) are synthesized from nothing (silence, with fades at their edges), so
//! the output stays aligned and as long as the input; a gap longer than
//! [`Limits::max_concealed_seconds`] is reported instead of filled. Both synthesizers hand
//! their samples over through one [`FrameOutput`] (trim, interleave, sink).

use std::io::Read;

use super::frame::{
    read_channel, read_energy_switch, read_intensity, read_noise_switch, read_sequence,
    read_stereo, Models, MAX_PAN,
};
use super::lossless::{decode_lossless_packet, IntSynthesis};
use super::noise;
use super::params::{
    effective_step, read_end_payload, step_size, AudioParams, AudioTransform, PacketPrefix,
};
use super::pool::Pool;
use super::Layouts;
use crate::container::{ContainerReader, MediaKind, ReadEvent, StreamHeader};
use crate::entropy::RangeDecoder;
use crate::error::{Error, Limits, Result};
use crate::pipeline::{self, PipelineConfig};
use crate::transform::switched::{SwitchedInverseMdct, WindowSequence, SHORT_BLOCKS};

/// Options of the audio decoder.
#[derive(Debug, Clone, Default)]
pub struct AudioDecodeOptions {
    pub threads: usize,
    pub limits: Limits,
}

/// What a decode did.
#[derive(Debug, Clone)]
pub struct AudioDecodeReport {
    pub params: AudioParams,
    /// Samples per channel written to the sink.
    pub samples: u64,
    /// One line per damaged stretch or undecodable packet.
    pub damage: Vec<String>,
    /// Frames replaced by silence.
    pub concealed_frames: u64,
    /// True when the stream ended with its end-of-stream packet.
    pub complete: bool,
}

impl AudioDecodeReport {
    /// The damage in the common report form.
    pub fn report(&self) -> crate::codec::DecodeReport {
        crate::codec::DecodeReport {
            damage: self.damage.clone(),
            concealed: self.concealed_frames,
            complete: self.complete,
        }
    }
}

/// The in-order stage of a decoder: one frame at a time, in stream order.
pub(super) trait Synthesizer {
    /// What the workers decode for one frame (all channels).
    type Frame: Send;
    /// Synthesizes the next frame from `frame` (`None`: lost, synthesized as silence) and
    /// hands at most `limit` of the output samples (per channel) it finishes to `sink`
    /// (through [`FrameOutput::emit`]); returns how many it handed over.
    fn frame<F: FnMut(&[f32]) -> Result<()>>(
        &mut self,
        frame: Option<&Self::Frame>,
        limit: u64,
        sink: &mut F,
    ) -> Result<u64>;
    /// Where the synthesizer stands in the stream.
    fn output(&self) -> &FrameOutput;
    /// Starts over at frame `frame` with nothing overlapping from before (after a jump in
    /// the stream too long to fill).
    fn resync(&mut self, frame: u64);
    /// Starts a segment at frame `frame`: nothing overlapping from before, and that frame
    /// finishes no output (it primes the overlap, as frame 0 of a stream does).
    fn restart(&mut self, frame: u64);
    /// The index of the frame it expects next.
    fn next_frame(&self) -> u64 {
        self.output().next_frame
    }
    /// Output samples per channel handed over so far.
    fn emitted(&self) -> u64 {
        self.output().emitted
    }
}

/// The output step of every synthesizer: counts frames, trims each frame's finished
/// samples to the limit, interleaves them and hands them to the sink.
pub(super) struct FrameOutput {
    next_frame: u64,
    emitted: u64,
    /// The next frame only primes the overlap: the first of the stream or of a segment.
    priming: bool,
    interleaved: Vec<f32>,
}

impl FrameOutput {
    pub(super) fn new(frame_size: usize, channels: usize) -> FrameOutput {
        FrameOutput {
            next_frame: 0,
            emitted: 0,
            priming: true,
            interleaved: Vec::with_capacity(frame_size * channels),
        }
    }

    /// Ends the current frame, which finished `frame_size` samples per channel (sample `i`
    /// of channel `ch` is `sample(ch, i)`): hands the first `limit` of them, interleaved,
    /// to `sink` and returns how many that was. Frame 0, and the first frame of a segment,
    /// finish nothing (they only prime the overlap: their samples lie before the stream).
    pub(super) fn emit<F: FnMut(&[f32]) -> Result<()>>(
        &mut self,
        frame_size: usize,
        channels: usize,
        limit: u64,
        sink: &mut F,
        sample: impl Fn(usize, usize) -> f32,
    ) -> Result<u64> {
        self.next_frame += 1;
        if std::mem::take(&mut self.priming) {
            return Ok(0);
        }
        let count = (frame_size as u64).min(limit) as usize;
        self.interleaved.clear();
        for i in 0..count {
            for ch in 0..channels {
                self.interleaved.push(sample(ch, i));
            }
        }
        if count > 0 {
            sink(&self.interleaved)?;
        }
        self.emitted += count as u64;
        Ok(count as u64)
    }

    /// Continues at frame `frame` (after a jump).
    pub(super) fn resync(&mut self, frame: u64) {
        self.next_frame = frame;
    }

    /// Continues at frame `frame`, the first of a segment, which finishes nothing.
    pub(super) fn restart(&mut self, frame: u64) {
        self.next_frame = frame;
        self.priming = true;
    }
}

/// A packet's decoded frames, or why it could not be decoded.
pub(super) enum Decoded<T> {
    Frames {
        prefix: PacketPrefix,
        frames: Vec<T>,
    },
    Lost {
        prefix: Option<PacketPrefix>,
        message: String,
    },
}

/// One decoded MDCT frame: its window and, per channel, its dequantized coefficients (L/R
/// already restored; a short frame's eight blocks interleaved).
pub(super) struct DecodedFrame {
    sequence: WindowSequence,
    coeffs: Vec<Vec<f32>>,
}

/// Range-decodes and dequantizes one MDCT packet.
pub(super) fn decode_packet(
    payload: &[u8],
    params: &AudioParams,
    layouts: &Layouts,
) -> Result<(PacketPrefix, Vec<DecodedFrame>)> {
    let (prefix, body) = PacketPrefix::read(payload, params)?;
    let packet_seed = noise::packet_seed(body);
    let n = params.frame_size;
    let channels = params.channels as usize;
    let mut dec = RangeDecoder::new(body);
    let mut models = Models::default();
    let mut states: Vec<_> = (0..channels).map(|_| layouts.channel_state()).collect();
    let mut q = vec![0i32; n];
    let mut steps = vec![0u8; layouts.long.len() - 1];
    let mut noise = vec![0u8; layouts.long.len() - 1];
    let mut energies = vec![0u8; layouts.long.len() - 1];
    let mut ms = vec![false; layouts.long.len() - 1];
    let mut pan = vec![0u8; layouts.long.len() - 1];
    let mut gains = [0i32; SHORT_BLOCKS];
    let mut frames = Vec::with_capacity(prefix.frames as usize);
    let mut previous = WindowSequence::Long;
    read_noise_switch(&mut dec, &mut models);
    read_energy_switch(&mut dec, &mut models);
    for f in 0..prefix.frames as u64 {
        let sequence = read_sequence(&mut dec, &mut models, previous);
        previous = sequence;
        let short = sequence.is_short();
        let edges = layouts.edges(sequence);
        // Coefficient k of a short frame belongs to block k & mask.
        let mask = if short { SHORT_BLOCKS - 1 } else { 0 };
        let bands = edges.len() - 1;
        let mut intensity = 0;
        if channels == 2 {
            intensity = read_intensity(&mut dec, &mut models, bands, &mut pan)?;
        }
        let ms = &mut ms[..bands - intensity];
        if channels == 2 {
            read_stereo(&mut dec, &mut models, ms);
        }
        let mut chans = Vec::with_capacity(channels);
        for (ch, state) in states.iter_mut().enumerate() {
            let (q, steps) = (&mut q[..], &mut steps[..]);
            let noise = &mut noise[..edges.len() - 1];
            let energies = &mut energies[..edges.len() - 1];
            let fill_start = layouts.noise_start(sequence);
            let mut fill = 0;
            read_channel(
                &mut dec,
                &mut models,
                state,
                edges,
                short,
                &mut gains,
                q,
                steps,
                noise,
                &mut fill,
                fill_start,
                energies,
            )?;
            let mut c = vec![0f32; n];
            let mut step = [0f32; SHORT_BLOCKS];
            let unit = noise::block_units(if short { &gains[..] } else { &[][..] });
            for b in 0..edges.len() - 1 {
                for (i, v) in step.iter_mut().enumerate().take(mask + 1) {
                    *v = step_size(effective_step(steps[b], gains[i]));
                }
                for k in edges[b]..edges[b + 1] {
                    c[k] = q[k] as f32 * step[k & mask];
                }
                let band = edges[b]..edges[b + 1];
                if fill != 0 && b >= fill_start && q[band.clone()].iter().any(|&v| v != 0) {
                    let frame = packet_seed | f;
                    let (out, q) = (&mut c[band.clone()], &q[band.clone()]);
                    noise::fill_zeros(out, q, &step, mask, fill, frame, ch, b);
                }
                if energies[b] != 0 {
                    noise::match_energy(&mut c[band], energies[b], &unit, mask);
                }
                if noise[b] != 0 {
                    let block_gains = if short { &gains[..] } else { &[][..] };
                    let frame = packet_seed | f;
                    let band = &mut c[edges[b]..edges[b + 1]];
                    noise::fill(band, noise[b], block_gains, frame, ch, b);
                }
            }
            chans.push(c);
        }
        if channels == 2 {
            let (m, s) = chans.split_at_mut(1);
            for (b, _) in ms.iter().enumerate().filter(|(_, &v)| v) {
                let band = edges[b]..edges[b + 1];
                for (a, b) in m[0][band.clone()].iter_mut().zip(&mut s[0][band]) {
                    let l = (*a + *b) * std::f32::consts::FRAC_1_SQRT_2;
                    let r = (*a - *b) * std::f32::consts::FRAC_1_SQRT_2;
                    *a = l;
                    *b = r;
                }
            }
            // Intensity bands: channel 0 holds the mid, panned into both channels.
            for (i, &p) in pan[..intensity].iter().enumerate() {
                let b = bands - intensity + i;
                let left = std::f32::consts::SQRT_2 * p as f32 / MAX_PAN as f32;
                let right = std::f32::consts::SQRT_2 * (MAX_PAN - p) as f32 / MAX_PAN as f32;
                let band = edges[b]..edges[b + 1];
                for (a, b) in m[0][band.clone()].iter_mut().zip(&mut s[0][band]) {
                    let mid = *a;
                    *a = left * mid;
                    *b = right * mid;
                }
            }
        }
        frames.push(DecodedFrame {
            sequence,
            coeffs: chans,
        });
    }
    if dec.overran() {
        return Err(Error::invalid("audio packet ends before its last frame"));
    }
    Ok((prefix, frames))
}

/// Overlap-add synthesis of MDCT frames under their block-switched windows.
pub(super) struct Synthesis {
    params: AudioParams,
    imdct: SwitchedInverseMdct,
    overlap: Vec<Vec<f64>>,
    block: Vec<f64>,
    /// Per channel, the `N` samples the current frame finishes (reused every frame).
    finished: Vec<Vec<f64>>,
    zeros: Vec<f32>,
    output: FrameOutput,
    /// True when the overlap buffers hold only zeros (after a concealed frame), so that the
    /// next concealed frame is plain silence and needs no inverse MDCT.
    silent_overlap: bool,
}

impl Synthesis {
    pub(super) fn new(params: AudioParams) -> Synthesis {
        let n = params.frame_size;
        let channels = params.channels as usize;
        Synthesis {
            params,
            imdct: SwitchedInverseMdct::new(n, params.window),
            overlap: vec![vec![0.0; n]; channels],
            block: vec![0.0; 2 * n],
            finished: vec![vec![0.0; n]; channels],
            zeros: vec![0.0; n],
            output: FrameOutput::new(n, channels),
            silent_overlap: false,
        }
    }
}

impl Synthesizer for Synthesis {
    type Frame = DecodedFrame;

    fn frame<F: FnMut(&[f32]) -> Result<()>>(
        &mut self,
        frame: Option<&DecodedFrame>,
        limit: u64,
        sink: &mut F,
    ) -> Result<u64> {
        let n = self.params.frame_size;
        let channels = self.overlap.len();
        if frame.is_none() && self.silent_overlap {
            // A concealed frame after a concealed frame: silence.
            return self.output.emit(n, channels, limit, sink, |_, _| 0.0);
        }
        self.silent_overlap = frame.is_none();
        // A lost frame is silence: all-zero coefficients give zeros under any window.
        let sequence = frame.map_or(WindowSequence::Long, |f| f.sequence);
        for ch in 0..channels {
            let c = frame.map_or(&self.zeros[..], |f| &f.coeffs[ch][..]);
            self.imdct.inverse(c, sequence, &mut self.block);
            for (i, out) in self.finished[ch].iter_mut().enumerate() {
                *out = self.overlap[ch][i] + self.block[i];
            }
            self.overlap[ch].copy_from_slice(&self.block[n..]);
        }
        let finished = &self.finished;
        self.output
            .emit(n, channels, limit, sink, |ch, i| finished[ch][i] as f32)
    }

    fn output(&self) -> &FrameOutput {
        &self.output
    }

    fn resync(&mut self, frame: u64) {
        for overlap in &mut self.overlap {
            overlap.fill(0.0);
        }
        self.silent_overlap = true;
        self.output.resync(frame);
    }

    fn restart(&mut self, frame: u64) {
        self.resync(frame);
        self.output.restart(frame);
    }
}

/// Decodes an audio stream from any reader, handing interleaved `f32` samples to `sink` as
/// they are ready.
pub fn decode_audio<R: Read + Send, F: FnMut(&[f32]) -> Result<()>>(
    input: R,
    options: &AudioDecodeOptions,
    sink: F,
) -> Result<AudioDecodeReport> {
    let reader = ContainerReader::new(input, options.limits)?;
    decode_audio_stream(reader, options, sink)
}

/// Reads the parameters of an audio stream header (its transform id included).
pub fn audio_params(header: &StreamHeader, limits: &Limits) -> Result<AudioParams> {
    if header.media != MediaKind::Audio {
        return Err(Error::InvalidArgument(format!(
            "the stream holds {}, not audio",
            header.media
        )));
    }
    let transform = AudioTransform::from_u8(header.transform)?;
    AudioParams::from_bytes(&header.params, transform, limits)
}

/// Decodes an audio stream whose header was already read.
pub fn decode_audio_stream<R: Read + Send, F: FnMut(&[f32]) -> Result<()>>(
    reader: ContainerReader<R>,
    options: &AudioDecodeOptions,
    sink: F,
) -> Result<AudioDecodeReport> {
    let params = audio_params(reader.header(), &options.limits)?;
    let layouts = Layouts::new(&params);
    match params.transform {
        AudioTransform::Mdct => run(
            reader,
            options,
            params,
            |payload: &[u8]| decode_packet(payload, &params, &layouts),
            Synthesis::new(params),
            sink,
        ),
        AudioTransform::IntMdct => {
            let pool = Pool::new();
            run(
                reader,
                options,
                params,
                |payload: &[u8]| decode_lossless_packet(payload, &params, &layouts.long, &pool),
                IntSynthesis::new(params),
                sink,
            )
        }
    }
}

/// The decoding pipeline of either mode: `decode` on the workers, `synth` in order.
fn run<R, F, S, D>(
    mut reader: ContainerReader<R>,
    options: &AudioDecodeOptions,
    params: AudioParams,
    decode: D,
    synth: S,
    mut sink: F,
) -> Result<AudioDecodeReport>
where
    R: Read + Send,
    F: FnMut(&[f32]) -> Result<()>,
    S: Synthesizer,
    D: Fn(&[u8]) -> Result<(PacketPrefix, Vec<S::Frame>)> + Sync,
{
    let mut order = InOrder::new(synth, params, &options.limits);
    let source = std::iter::from_fn(|| reader.next_event().transpose());
    pipeline::run_one(
        &PipelineConfig::with_threads(options.threads),
        source,
        ("decode", |event: ReadEvent| {
            Ok(match event {
                ReadEvent::Packet(packet) => {
                    decoded_packet(&packet.payload, packet.sequence, &params, &decode)
                }
                ReadEvent::Damaged(d) => Decoded::Lost {
                    prefix: None,
                    message: d.to_string(),
                },
            })
        }),
        |decoded: Decoded<S::Frame>| order.take(decoded, &mut sink),
    )?;
    let complete = reader.is_complete();
    order.finish(reader.end_payload(), &mut sink)?;
    Ok(order.report(complete))
}

/// Decodes one packet's payload with `decode`, turning a failure into a lost packet (with
/// its prefix when that much is readable, so that its frames are concealed in place).
pub(super) fn decoded_packet<T, D>(
    payload: &[u8],
    sequence: u32,
    params: &AudioParams,
    decode: &D,
) -> Decoded<T>
where
    D: Fn(&[u8]) -> Result<(PacketPrefix, Vec<T>)>,
{
    match decode(payload) {
        Ok((prefix, frames)) => Decoded::Frames { prefix, frames },
        Err(e) => Decoded::Lost {
            prefix: PacketPrefix::read(payload, params).ok().map(|p| p.0),
            message: format!("packet {sequence}: {e}"),
        },
    }
}

/// The in-order half of decoding, shared by the pipelined stream decoder and the
/// packet-level decoder: places each packet's frames on the timeline, conceals the frames
/// of lost packets with silence (up to [`Limits::max_concealed_seconds`] per gap), skips
/// packets that arrive late or jump implausibly far, and at the end fills up to the known
/// length.
pub(super) struct InOrder<S: Synthesizer> {
    synth: S,
    params: AudioParams,
    /// The longest run of lost frames filled with silence: a packet that jumps further
    /// ahead (or a stream end that claims a length further beyond the last packet) is
    /// damage to report rather than minutes of made-up output.
    max_seconds: u64,
    max_gap_frames: u64,
    /// The frame after the last packet skipped for jumping too far: a packet continuing
    /// from there confirms the jump (a real loss, not one forged frame number).
    skipped_jump_end: Option<u64>,
    damage: Vec<String>,
    concealed: u64,
    total: Option<u64>,
}

impl<S: Synthesizer> InOrder<S> {
    pub(super) fn new(synth: S, params: AudioParams, limits: &Limits) -> InOrder<S> {
        let max_seconds = limits.max_concealed_seconds as u64;
        let n = params.frame_size as u64;
        InOrder {
            synth,
            params,
            max_seconds,
            max_gap_frames: (max_seconds * params.sample_rate as u64).div_ceil(n),
            skipped_jump_end: None,
            damage: Vec::new(),
            concealed: 0,
            total: None,
        }
    }

    /// Damage reports so far.
    pub(super) fn damage(&self) -> &[String] {
        &self.damage
    }

    /// Frames concealed so far.
    pub(super) fn concealed(&self) -> u64 {
        self.concealed
    }

    /// Output samples per channel handed to the sink so far.
    pub(super) fn emitted(&self) -> u64 {
        self.synth.emitted()
    }

    /// Places one decoded (or lost) packet on the timeline.
    pub(super) fn take<F: FnMut(&[f32]) -> Result<()>>(
        &mut self,
        decoded: Decoded<S::Frame>,
        sink: &mut F,
    ) -> Result<()> {
        let synth = &mut self.synth;
        let (prefix, frames) = match decoded {
            Decoded::Frames { prefix, frames } => (prefix, Some(frames)),
            Decoded::Lost {
                prefix: Some(p),
                message,
            } => {
                self.damage.push(message);
                (p, None)
            }
            Decoded::Lost {
                prefix: None,
                message,
            } => {
                self.damage.push(message);
                return Ok(());
            }
        };
        if prefix.first_frame < synth.next_frame() {
            self.damage.push(format!(
                "audio packet for frame {} arrived after frame {}: skipped",
                prefix.first_frame,
                synth.next_frame()
            ));
            return Ok(());
        }
        // Frames lost before this packet: silence, each finishing N samples.
        let mut gap = prefix.first_frame - synth.next_frame();
        if gap > self.max_gap_frames {
            let max_seconds = self.max_seconds;
            if self.skipped_jump_end != Some(prefix.first_frame) {
                self.damage.push(format!(
                    "audio packet for frame {} jumps {gap} frames past frame {} (more than \
                     {max_seconds} s): skipped",
                    prefix.first_frame,
                    synth.next_frame()
                ));
                self.skipped_jump_end =
                    Some(prefix.first_frame.saturating_add(prefix.frames as u64));
                return Ok(());
            }
            self.damage.push(format!(
                "audio resumes at frame {} after a jump of {gap} frames past frame {}: \
                 the gap is not filled",
                prefix.first_frame,
                synth.next_frame()
            ));
            synth.resync(prefix.first_frame);
            gap = 0;
        }
        self.skipped_jump_end = None;
        if gap > 0 {
            let known_end = match self.params.total_samples {
                0 => u64::MAX,
                t => t,
            };
            for _ in 0..gap {
                let limit = known_end.saturating_sub(synth.emitted());
                synth.frame(None, limit, sink)?;
                self.concealed += 1;
            }
        }
        if prefix.segment_start {
            // A segment starts afresh: what overlaps from before belongs to the previous
            // segment's tail, and this frame only primes the overlap.
            synth.restart(prefix.first_frame);
        }
        let mut remaining = prefix.output_samples as u64;
        for f in 0..prefix.frames as usize {
            let frame = frames.as_ref().and_then(|c| c.get(f));
            if frame.is_none() {
                self.concealed += 1;
            }
            let used = synth.frame(frame, remaining, sink)?;
            remaining -= used.min(remaining);
        }
        Ok(())
    }

    /// Ends the stream: lost packets at the end are filled with silence up to the length
    /// the end-of-stream payload (or the stream header) gives.
    pub(super) fn finish<F: FnMut(&[f32]) -> Result<()>>(
        &mut self,
        end_payload: Option<&[u8]>,
        sink: &mut F,
    ) -> Result<()> {
        let synth = &mut self.synth;
        let n = self.params.frame_size as u64;
        let max_seconds = self.max_seconds;
        let total = read_end_payload(end_payload.unwrap_or(&[]))
            .map(|(t, _)| t)
            .or(match self.params.total_samples {
                0 => None,
                t => Some(t),
            });
        if let Some(total) = total {
            let max_fill = self.max_gap_frames * n;
            if total.saturating_sub(synth.emitted()) > max_fill {
                self.damage.push(format!(
                    "the stream claims {total} samples but its packets end at sample {}: \
                     not filled (more than {max_seconds} s missing)",
                    synth.emitted()
                ));
            }
            let total = total.min(synth.emitted().saturating_add(max_fill));
            while synth.emitted() < total {
                let before = synth.emitted();
                synth.frame(None, total - synth.emitted(), sink)?;
                self.concealed += 1;
                if synth.emitted() == before && synth.next_frame() > 1 {
                    break;
                }
            }
        }
        self.total = total;
        Ok(())
    }

    /// What the decode did, after [`InOrder::finish`].
    pub(super) fn report(&self, complete: bool) -> AudioDecodeReport {
        AudioDecodeReport {
            params: AudioParams {
                total_samples: self.total.unwrap_or(self.synth.emitted()),
                ..self.params
            },
            samples: self.synth.emitted(),
            damage: self.damage.clone(),
            concealed_frames: self.concealed,
            complete,
        }
    }
}

/// Decodes one packet payload under `params`, for the fuzz targets (see
/// [`crate::fuzzing`]): returns whether it decoded. Never panics on any bytes.
#[doc(hidden)]
pub fn decode_packet_for_fuzzing(payload: &[u8], params: &AudioParams) -> bool {
    let layouts = Layouts::new(params);
    match params.transform {
        AudioTransform::Mdct => decode_packet(payload, params, &layouts).is_ok(),
        AudioTransform::IntMdct => {
            let pool = Pool::new();
            decode_lossless_packet(payload, params, &layouts.long, &pool).is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sample the output step hands over was written for that frame: after frames
    /// full of a sentinel, a shorter frame's slice holds its own values only, whatever the
    /// sentinel was (the decoder's sink gets no caller buffer; this buffer is the one it
    /// reads).
    #[test]
    fn the_output_step_writes_every_sample_it_hands_over() {
        let mut results = Vec::new();
        for sentinel in [f32::NAN, 7.5] {
            let mut out = FrameOutput::new(4, 2);
            let mut got: Vec<Vec<f32>> = Vec::new();
            let mut sink = |s: &[f32]| {
                got.push(s.to_vec());
                Ok(())
            };
            // Frame 0 only primes the overlap.
            assert_eq!(out.emit(4, 2, 100, &mut sink, |_, _| sentinel).unwrap(), 0);
            assert_eq!(out.emit(4, 2, 100, &mut sink, |_, _| sentinel).unwrap(), 4);
            assert_eq!(
                out.emit(4, 2, 3, &mut sink, |ch, i| (10 * i + ch) as f32)
                    .unwrap(),
                3
            );
            // A limit of 0 hands nothing over, not even an empty slice.
            assert_eq!(out.emit(4, 2, 0, &mut sink, |_, _| sentinel).unwrap(), 0);
            assert_eq!((out.next_frame, out.emitted), (4, 7));
            assert_eq!(got.len(), 2);
            assert_eq!(got[0].len(), 8);
            results.push(got[1].clone());
        }
        assert_eq!(results[0], [0.0, 1.0, 10.0, 11.0, 20.0, 21.0]);
        assert_eq!(results[0], results[1]);
    }
}
