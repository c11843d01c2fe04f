//! Lossless audio: 16-bit PCM through the integer MDCT, coded without quantization.
//!
//! In (encoder): a packet's [`Group`] of samples, which must be 16-bit integers (`f32`
//! multiples of 1/32768 in `[-1, 1)`). Out: the packet payload: the usual prefix, then the
//! range-coded frames. Each frame's folded vectors come from the window rotations of
//! [`IntMdct::fold`], turned into coefficients two vectors at a time by
//! [`IntMdct::dct_pair`] (stereo: the two channels of a frame; mono: frames `2k` and
//! `2k+1`, so mono packets hold an even number of frames). Stereo frames choose per band
//! between L/R and an integer mid/side lifting of the coefficients, by a rough bit count.
//! The decoder side ([`decode_lossless_packet`], on the workers) undoes the coding and
//! the DCT-IV pairs; [`IntSynthesis`] (in order) undoes the window rotations block by
//! block, needing frame `j`'s lower half and frame `j+1`'s upper half for block `j`.
//! Without damage the output is the input, bit for bit; a lost frame counts as zero
//! folded values, so the blocks next to it come out attenuated, never out of range.

use super::analysis::Group;
use super::decode::{FrameOutput, Synthesizer};
use super::intcoeffs::{
    from_mid_side, read_int_channel, rough_bits, to_mid_side, write_int_channel, IntChannelState,
    IntModels,
};
use super::params::{AudioParams, PacketPrefix};
use super::pool::Pool;
use crate::entropy::{RangeDecoder, RangeEncoder, SymbolWriter};
use crate::error::{Error, Result};
use crate::transform::intmdct::IntMdct;

/// 16-bit full scale in the `f32` samples of an [`crate::media::audio::AudioSource`].
const FULL_SCALE: f32 = 32768.0;

/// One frame of a lossless packet: per channel, `N` integers (coefficients or folded values).
pub(super) type IntFrame = Vec<Vec<i32>>;

/// The group's samples as 16-bit integers, per channel; an error names the first sample
/// that is not one.
fn to_pcm16(group: &Group, n: usize) -> Result<Vec<Vec<i32>>> {
    let start = (group.first_frame as i64 - 1) * n as i64;
    let mut out = Vec::with_capacity(group.samples.len());
    for (ch, samples) in group.samples.iter().enumerate() {
        let mut pcm = Vec::with_capacity(samples.len());
        for (i, &v) in samples.iter().enumerate() {
            // Scaling by a power of two is exact in f32.
            let x = v * FULL_SCALE;
            if x != x.round() || !(-32768.0..=32767.0).contains(&x) {
                return Err(Error::Unsupported(format!(
                    "lossless mode codes 16-bit integer PCM, but sample {} of channel {ch} \
                     is {v} (not a 16-bit value: float or higher-resolution input)",
                    start + i as i64
                )));
            }
            pcm.push(x as i32);
        }
        out.push(pcm);
    }
    Ok(out)
}

/// Applies the DCT-IV pairs (or their inverse) to every frame of a packet.
fn dct_pairs(t: &mut IntMdct, frames: &mut [IntFrame], inverse: bool) -> Result<()> {
    let mut run = |a: &mut Vec<i32>, b: &mut Vec<i32>| {
        if inverse {
            t.inverse_dct_pair(a, b)
        } else {
            t.dct_pair(a, b)
        }
    };
    match frames.first().map_or(0, |f| f.len()) {
        2 => {
            for frame in frames.iter_mut() {
                let (l, r) = frame.split_at_mut(1);
                run(&mut l[0], &mut r[0]);
            }
        }
        _ if frames.len() % 2 == 1 => {
            return Err(Error::invalid(format!(
                "lossless mono packet of {} frames (expected an even number)",
                frames.len()
            )))
        }
        _ => {
            for pair in frames.chunks_mut(2) {
                let (a, b) = pair.split_at_mut(1);
                run(&mut a[0][0], &mut b[0][0]);
            }
        }
    }
    Ok(())
}

/// Codes one packet losslessly; `t` is the worker's transform of the stream's frame size.
pub(super) fn code_lossless_packet(
    t: &mut IntMdct,
    group: &Group,
    params: &AudioParams,
    edges: &[usize],
) -> Result<Vec<u8>> {
    let n = params.frame_size;
    let h = n / 2;
    let frames = group.frames as usize;
    let pcm = to_pcm16(group, n)?;
    let channels = pcm.len();
    // Block b of the group (samples [(first - 1 + b)N, ...)) feeds frames b - 1 and b.
    let mut coeffs: Vec<IntFrame> = vec![vec![vec![0i32; n]; channels]; frames];
    let (mut lower, mut upper) = (vec![0i32; h], vec![0i32; h]);
    for (ch, samples) in pcm.iter().enumerate() {
        for b in 0..=frames {
            t.fold(&samples[b * n..(b + 1) * n], &mut lower, &mut upper);
            if b >= 1 {
                coeffs[b - 1][ch][..h].copy_from_slice(&lower);
            }
            if b < frames {
                coeffs[b][ch][h..].copy_from_slice(&upper);
            }
        }
    }
    dct_pairs(t, &mut coeffs, false)?;
    let mut out = Vec::new();
    PacketPrefix {
        first_frame: group.first_frame,
        frames: group.frames,
        output_samples: group.output_samples,
    }
    .write(&mut out);
    let mut enc = RangeEncoder::with_capacity(n * channels * frames);
    let mut models = IntModels::default();
    let mut states: Vec<IntChannelState> = (0..channels).map(|_| IntChannelState::new(n)).collect();
    for frame in coeffs.iter_mut() {
        if channels == 2 {
            choose_mid_side(&mut enc, &mut models, frame, edges);
        }
        for (ch, state) in states.iter_mut().enumerate() {
            write_int_channel(&mut enc, &mut models, state, &frame[ch]);
        }
    }
    out.extend_from_slice(&enc.finish());
    Ok(out)
}

/// Per band, turns L/R into mid/side where that looks cheaper, and codes the decisions.
fn choose_mid_side<W: SymbolWriter>(
    w: &mut W,
    m: &mut IntModels,
    frame: &mut IntFrame,
    edges: &[usize],
) {
    let (l, r) = frame.split_at_mut(1);
    let (l, r) = (&mut l[0], &mut r[0]);
    let mut previous = false;
    for band in edges.windows(2) {
        let (lo, hi) = (band[0], band[1]);
        let lr = rough_bits(l[lo..hi].iter().chain(&r[lo..hi]).copied());
        let ms = rough_bits((lo..hi).flat_map(|k| {
            let s = l[k].wrapping_sub(r[k]);
            [r[k].wrapping_add(s >> 1), s]
        }));
        let use_ms = ms < lr;
        w.put_bit(&mut m.ms[previous as usize], use_ms);
        previous = use_ms;
        if use_ms {
            to_mid_side(l, r, lo, hi);
        }
    }
}

/// Decodes one lossless packet into folded vectors (per frame, per channel), taking a
/// transform from `pool` (or planning one) and putting it back.
pub(super) fn decode_lossless_packet(
    payload: &[u8],
    params: &AudioParams,
    edges: &[usize],
    pool: &Pool<IntMdct>,
) -> Result<(PacketPrefix, Vec<IntFrame>)> {
    let (prefix, body) = PacketPrefix::read(payload, params)?;
    let n = params.frame_size;
    let channels = params.channels as usize;
    if channels == 1 && (prefix.frames % 2 == 1 || prefix.first_frame % 2 == 1) {
        return Err(Error::invalid(format!(
            "lossless mono packet of {} frames from frame {} (expected an even count from an \
             even frame)",
            prefix.frames, prefix.first_frame
        )));
    }
    let mut dec = RangeDecoder::new(body);
    let mut models = IntModels::default();
    let mut states: Vec<IntChannelState> = (0..channels).map(|_| IntChannelState::new(n)).collect();
    let mut frames: Vec<IntFrame> = Vec::with_capacity(prefix.frames as usize);
    // Per band: mid/side (stereo only), read anew in every frame.
    let mut ms = vec![false; if channels == 2 { edges.len() - 1 } else { 0 }];
    for _ in 0..prefix.frames {
        let mut previous = false;
        for flag in ms.iter_mut() {
            previous = dec.get_bit(&mut models.ms[previous as usize]);
            *flag = previous;
        }
        let mut frame: IntFrame = vec![vec![0i32; n]; channels];
        for (ch, state) in states.iter_mut().enumerate() {
            read_int_channel(&mut dec, &mut models, state, &mut frame[ch])?;
        }
        if channels == 2 {
            let (l, r) = frame.split_at_mut(1);
            for (b, &use_ms) in ms.iter().enumerate() {
                if use_ms {
                    from_mid_side(&mut l[0], &mut r[0], edges[b], edges[b + 1]);
                }
            }
        }
        frames.push(frame);
    }
    if dec.overran() {
        return Err(Error::invalid(
            "lossless audio packet ends before its last frame",
        ));
    }
    pool.with(|| IntMdct::new(n), |t| dct_pairs(t, &mut frames, true))?;
    Ok((prefix, frames))
}

/// The in-order stage of the lossless decoder: inverse window rotations, block by block.
pub(super) struct IntSynthesis {
    n: usize,
    t: IntMdct,
    /// Per channel, the lower half of the previous frame's folded vector.
    lower: Vec<Vec<i32>>,
    zeros: Vec<i32>,
    blocks: Vec<Vec<i32>>,
    output: FrameOutput,
}

impl IntSynthesis {
    pub(super) fn new(params: AudioParams) -> IntSynthesis {
        let n = params.frame_size;
        let channels = params.channels as usize;
        IntSynthesis {
            n,
            t: IntMdct::new(n),
            lower: vec![vec![0; n / 2]; channels],
            zeros: vec![0; n],
            blocks: vec![vec![0; n]; channels],
            output: FrameOutput::new(n, channels),
        }
    }
}

impl Synthesizer for IntSynthesis {
    type Frame = IntFrame;

    fn frame<F: FnMut(&[f32]) -> Result<()>>(
        &mut self,
        frame: Option<&IntFrame>,
        limit: u64,
        sink: &mut F,
    ) -> Result<u64> {
        let n = self.n;
        let h = n / 2;
        for ch in 0..self.lower.len() {
            let folded = frame.map_or(&self.zeros[..], |f| &f[ch][..]);
            self.t
                .unfold(&self.lower[ch], &folded[h..], &mut self.blocks[ch]);
            self.lower[ch].copy_from_slice(&folded[..h]);
        }
        // Frame j finishes block j - 1 (block -1, before the stream, is not output).
        let blocks = &self.blocks;
        self.output.emit(n, blocks.len(), limit, sink, |ch, i| {
            blocks[ch][i].clamp(-32768, 32767) as f32 / FULL_SCALE
        })
    }

    fn output(&self) -> &FrameOutput {
        &self.output
    }

    fn resync(&mut self, frame: u64) {
        for lower in &mut self.lower {
            lower.fill(0);
        }
        self.output.resync(frame);
    }
}
