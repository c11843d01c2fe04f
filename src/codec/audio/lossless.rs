//! Lossless audio: 16-bit or 24-bit PCM through the integer MDCT, coded without
//! quantization.
//!
//! In (encoder): a packet's [`Group`] of samples, which must be integers of the stream's
//! depth (`f32` multiples of `2^-(bits-1)` in `[-1, 1)`). Out: the packet payload: the usual
//! prefix, then the range-coded frames. In a 24-bit stream each block of `N` samples of a
//! channel is first shifted right by its wasted low bits (the trailing zero bits common to
//! all its samples: 8 for 16-bit audio padded to 24 bits), and every frame signals the
//! shift of the block it completes, so padding costs nothing. A 24-bit stereo block whose
//! difference `S = L - R` is sparse (near-mono audio: a few samples differ) codes `S`
//! sample by sample instead of the right channel's MDCT, whose input is then that block of
//! zeros (the MDCT would spread each isolated difference over every coefficient). Each frame's folded vectors come from the window rotations of
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
    from_mid_side, read_int_channel, read_shift, read_side_block, rough_bits, to_mid_side,
    write_int_channel, write_shift, write_side_block, IntChannelState, IntModels, MAX_SHIFT,
};
use super::params::{AudioParams, PacketPrefix};
use super::pool::Pool;
use crate::entropy::{RangeDecoder, RangeEncoder, SymbolWriter};
use crate::error::{Error, Result};
use crate::transform::intmdct::IntMdct;

/// Full scale of `bits`-bit PCM in the `f32` samples of an
/// [`crate::media::audio::AudioSource`]: `2^(bits-1)`.
fn full_scale(bits: u8) -> f32 {
    (1u32 << (bits - 1)) as f32
}

/// One frame of a lossless packet: per channel, `N` integers (coefficients or folded values).
pub(super) type IntFrame = Vec<Vec<i32>>;

/// One decoded frame: per channel its folded vector and the shift of the block it completes,
/// and that block's time-domain difference `S = L - R` (shifted) when it has one.
pub(super) struct DecodedIntFrame {
    folded: IntFrame,
    shifts: Vec<u32>,
    side: Option<Vec<i32>>,
}

/// The group's samples as `bits`-bit integers, per channel; an error names the first
/// sample that is not one.
fn to_pcm(group: &Group, n: usize, bits: u8) -> Result<Vec<Vec<i32>>> {
    let start = (group.first_frame as i64 - 1) * n as i64;
    let scale = full_scale(bits);
    let mut out = Vec::with_capacity(group.samples.len());
    for (ch, samples) in group.samples.iter().enumerate() {
        let mut pcm = Vec::with_capacity(samples.len());
        for (i, &v) in samples.iter().enumerate() {
            // Scaling by a power of two is exact in f32 (24-bit integers are exact in f32).
            let x = v * scale;
            if x != x.round() || !(-scale..=scale - 1.0).contains(&x) {
                return Err(Error::Unsupported(format!(
                    "lossless mode codes {bits}-bit integer PCM, but sample {} of channel {ch} \
                     is {v} (not a {bits}-bit value: float or higher-resolution input)",
                    start + i as i64
                )));
            }
            pcm.push(x as i32);
        }
        out.push(pcm);
    }
    Ok(out)
}

/// The wasted low bits of a block: the trailing zero bits all its samples share, at most
/// [`MAX_SHIFT`] (0 for an all-zero block, whose folded values are zero at any shift).
fn block_shift(block: &[i32]) -> u32 {
    let all = block.iter().fold(0i32, |acc, &v| acc | v);
    if all == 0 {
        0
    } else {
        all.trailing_zeros().min(MAX_SHIFT)
    }
}

/// Whether a stereo block codes its right channel as the time-domain difference
/// `S = L - R`: `Some((shift, S >> shift))` when `S` is sparse enough that sample by sample
/// looks cheaper than the MDCT (a rough bit count of each: the zero/non-zero entropy plus
/// gamma-code lengths, against the bits of white noise of the difference's power).
fn time_side(l: &[i32], r: &[i32]) -> Option<(u32, Vec<i32>)> {
    let side: Vec<i32> = l.iter().zip(r).map(|(&a, &b)| a.wrapping_sub(b)).collect();
    let shift = block_shift(&side);
    let side: Vec<i32> = side.iter().map(|&v| v >> shift).collect();
    let n = side.len() as f64;
    let nonzero = side.iter().filter(|&&v| v != 0).count() as f64;
    if nonzero == 0.0 {
        return Some((shift, side));
    }
    let p = nonzero / n;
    let flags = if p < 1.0 {
        -n * (p * p.log2() + (1.0 - p) * (1.0 - p).log2())
    } else {
        0.0
    };
    let magnitudes = rough_bits(side.iter().copied()) as f64 + nonzero;
    let power = side.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / n;
    let mdct = n * (0.5 * power.log2() + 1.25).max(0.5);
    (flags + magnitudes + 0.3 * n < mdct).then_some((shift, side))
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
    let pcm = to_pcm(group, n, params.bits)?;
    let channels = pcm.len();
    let deep = params.bits > 16;
    // Block b of the group (samples [(first - 1 + b)N, ...)) feeds frames b - 1 and b;
    // frame b completes it and signals its shift (24-bit streams only).
    let mut coeffs: Vec<IntFrame> = vec![vec![vec![0i32; n]; channels]; frames];
    let mut shifts = vec![vec![0u32; frames + 1]; channels];
    // 24-bit stereo: per block, the time-domain difference coded instead of R's MDCT.
    let sides: Vec<Option<(u32, Vec<i32>)>> = (0..=frames)
        .map(|b| {
            (deep && channels == 2)
                .then(|| time_side(&pcm[0][b * n..(b + 1) * n], &pcm[1][b * n..(b + 1) * n]))
                .flatten()
        })
        .collect();
    let (mut lower, mut upper) = (vec![0i32; h], vec![0i32; h]);
    let mut scaled = vec![0i32; n];
    for (ch, samples) in pcm.iter().enumerate() {
        for b in 0..=frames {
            let block = &samples[b * n..(b + 1) * n];
            match (ch, &sides[b]) {
                (1, Some((shift, _))) => {
                    // The right channel's MDCT input is this block of zeros.
                    shifts[ch][b] = *shift;
                    scaled.fill(0);
                }
                _ => {
                    let shift = if deep { block_shift(block) } else { 0 };
                    shifts[ch][b] = shift;
                    for (s, &v) in scaled.iter_mut().zip(block) {
                        *s = v >> shift;
                    }
                }
            }
            t.fold(&scaled, &mut lower, &mut upper);
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
        segment_start: false,
        first_frame: group.first_frame,
        frames: group.frames,
        output_samples: group.output_samples,
    }
    .write(&mut out);
    let mut enc = RangeEncoder::with_capacity(n * channels * frames);
    let mut models = IntModels::new(params.bits);
    let mut states: Vec<IntChannelState> = (0..channels)
        .map(|_| IntChannelState::new(n, params.bits))
        .collect();
    let mut previous_side = false;
    for (f, frame) in coeffs.iter_mut().enumerate() {
        if deep && channels == 2 {
            let side = sides[f].is_some();
            enc.put_bit(&mut models.time_side[previous_side as usize], side);
            previous_side = side;
        }
        if deep {
            for (ch, state) in states.iter_mut().enumerate() {
                write_shift(&mut enc, &mut models, state, shifts[ch][f]);
            }
        }
        if channels == 2 {
            choose_mid_side(&mut enc, &mut models, frame, edges);
        }
        for (ch, state) in states.iter_mut().enumerate() {
            write_int_channel(&mut enc, &mut models, state, &frame[ch]);
        }
        if let Some((_, side)) = &sides[f] {
            write_side_block(&mut enc, &mut models, side);
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

/// Decodes one lossless packet into folded vectors (per frame, per channel) and shifts,
/// taking a transform from `pool` (or planning one) and putting it back.
pub(super) fn decode_lossless_packet(
    payload: &[u8],
    params: &AudioParams,
    edges: &[usize],
    pool: &Pool<IntMdct>,
) -> Result<(PacketPrefix, Vec<DecodedIntFrame>)> {
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
    let deep = params.bits > 16;
    let mut models = IntModels::new(params.bits);
    let mut states: Vec<IntChannelState> = (0..channels)
        .map(|_| IntChannelState::new(n, params.bits))
        .collect();
    let mut frames: Vec<IntFrame> = Vec::with_capacity(prefix.frames as usize);
    let mut shifts: Vec<Vec<u32>> = Vec::with_capacity(prefix.frames as usize);
    let mut sides: Vec<Option<Vec<i32>>> = Vec::with_capacity(prefix.frames as usize);
    // Per band: mid/side (stereo only), read anew in every frame.
    let mut ms = vec![false; if channels == 2 { edges.len() - 1 } else { 0 }];
    let mut previous_side = false;
    for _ in 0..prefix.frames {
        if deep && channels == 2 {
            previous_side = dec.get_bit(&mut models.time_side[previous_side as usize]);
        }
        let mut frame_shifts = vec![0u32; channels];
        if deep {
            for (shift, state) in frame_shifts.iter_mut().zip(states.iter_mut()) {
                *shift = read_shift(&mut dec, &mut models, state)?;
            }
        }
        shifts.push(frame_shifts);
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
        sides.push(previous_side.then(|| {
            let mut side = vec![0i32; n];
            read_side_block(&mut dec, &mut models, &mut side);
            side
        }));
    }
    if dec.overran() {
        return Err(Error::invalid(
            "lossless audio packet ends before its last frame",
        ));
    }
    pool.with(|| IntMdct::new(n), |t| dct_pairs(t, &mut frames, true))?;
    let frames = frames
        .into_iter()
        .zip(shifts)
        .zip(sides)
        .map(|((folded, shifts), side)| DecodedIntFrame {
            folded,
            shifts,
            side,
        })
        .collect();
    Ok((prefix, frames))
}

/// The in-order stage of the lossless decoder: inverse window rotations, block by block.
pub(super) struct IntSynthesis {
    n: usize,
    /// Output range: `[-2^(bits-1), 2^(bits-1) - 1]`, and full scale.
    max: i64,
    scale: f32,
    t: IntMdct,
    /// Per channel, the block being completed, shifted back and (for a time-domain
    /// difference) restored.
    pcm: Vec<Vec<i64>>,
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
        let scale = full_scale(params.bits);
        IntSynthesis {
            n,
            max: scale as i64 - 1,
            scale,
            t: IntMdct::new(n),
            pcm: vec![vec![0; n]; channels],
            lower: vec![vec![0; n / 2]; channels],
            zeros: vec![0; n],
            blocks: vec![vec![0; n]; channels],
            output: FrameOutput::new(n, channels),
        }
    }
}

impl Synthesizer for IntSynthesis {
    type Frame = DecodedIntFrame;

    fn frame<F: FnMut(&[f32]) -> Result<()>>(
        &mut self,
        frame: Option<&DecodedIntFrame>,
        limit: u64,
        sink: &mut F,
    ) -> Result<u64> {
        let n = self.n;
        let h = n / 2;
        for ch in 0..self.lower.len() {
            let folded = frame.map_or(&self.zeros[..], |f| &f.folded[ch][..]);
            // A lost frame's block is taken as unshifted.
            let shift = frame.map_or(0, |f| f.shifts[ch]);
            self.t
                .unfold(&self.lower[ch], &folded[h..], &mut self.blocks[ch]);
            self.lower[ch].copy_from_slice(&folded[..h]);
            for (out, &v) in self.pcm[ch].iter_mut().zip(&self.blocks[ch]) {
                *out = (v as i64) << shift;
            }
        }
        if let Some((f, side)) = frame.and_then(|f| f.side.as_ref().map(|s| (f, s))) {
            let (l, r) = self.pcm.split_at_mut(1);
            for ((right, &left), &s) in r[0].iter_mut().zip(&l[0]).zip(side) {
                *right = left - ((s as i64) << f.shifts[1]);
            }
        }
        // Frame j finishes block j - 1 (block -1, before the stream, is not output).
        let (pcm, max, scale) = (&self.pcm, self.max, self.scale);
        self.output.emit(n, pcm.len(), limit, sink, |ch, i| {
            pcm[ch][i].clamp(-max - 1, max) as f32 / scale
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

    fn restart(&mut self, frame: u64) {
        self.resync(frame);
        self.output.restart(frame);
    }
}
