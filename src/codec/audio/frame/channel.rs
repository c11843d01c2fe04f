//! One channel frame's syntax: in it go the quantized levels, band step indices, noise
//! and energy indices of one channel of one frame; out come range coder decisions
//! ([`write_channel`]), and [`read_channel`] reverses them.
//!
//! Syntax, per channel frame: in a short frame first the step gain of each of the eight
//! short blocks (the first as a signed value, the others as signed differences from the
//! one before); the number of coded bands (Exp-Golomb); a "noise" flag and, when set, the
//! number of noise-filled bands after the coded ones; the fill level of zero levels in
//! coded bands (three bits); per coded band a "band is all zero" flag; per all-zero band
//! of a frame with noise a "filled" flag and the noise index as a signed difference; for a
//! non-zero band its step index as a signed difference from the previous non-zero band's
//! (the first from the previous frame's first), with the packet's energy switch on from
//! the energy start its energy index as a signed difference, then every level: zero flag, greater-than-one flag, greater-than-two flag, Exp-Golomb remainder,
//! sign as a bypass bit. Level contexts come from the two levels below in frequency and the
//! three nearest levels of the previous frame of the same channel in the same packet. A
//! short frame's interleaved coefficients use the short band layout and the same models;
//! index `i` lies near the frequency of index `i` of a long frame, so the previous frame's
//! levels remain a fitting context across a switch.

use super::{ChannelState, DeltaModels, Models, MAX_FILL, MAX_LEVEL, PREVIOUS_CONTEXTS};
use crate::codec::audio::params::{MAX_GAIN, STEP_INDEX_CENTRE};
use crate::entropy::{get_exp_golomb, put_exp_golomb, RangeDecoder, SymbolWriter};
use crate::error::{Error, Result};
use crate::transform::switched::SHORT_BLOCKS;

fn put_gains<W: SymbolWriter>(w: &mut W, m: &mut Models, gains: &[i32]) {
    let mut previous = 0;
    for (b, &g) in gains.iter().enumerate() {
        m.gain_delta.put(w, g - previous, (b > 0) as usize);
        previous = g;
    }
}

fn get_gains(r: &mut RangeDecoder<'_>, m: &mut Models, gains: &mut [i32]) -> Result<()> {
    let mut previous = 0;
    for (b, g) in gains.iter_mut().enumerate() {
        let d = m
            .gain_delta
            .get(r, (b > 0) as usize, 2 * MAX_GAIN as u32)
            .ok_or_else(|| Error::invalid("audio short block gain out of range"))?;
        *g = previous + d;
        if g.abs() > MAX_GAIN {
            return Err(Error::invalid(format!(
                "audio short block gain {g} (expected -{MAX_GAIN} to {MAX_GAIN})"
            )));
        }
        previous = *g;
    }
    Ok(())
}

#[inline]
fn neighbour_context(a: u32, b: u32) -> usize {
    match 2 * a.min(8) + b.min(8) {
        0 => 0,
        1..=2 => 1,
        3..=4 => 2,
        5..=8 => 3,
        _ => 4,
    }
}

#[inline]
fn previous_context(previous: &[u32], k: usize) -> usize {
    let left = if k > 0 { previous[k - 1] } else { 0 };
    match left + 2 * previous[k] + previous[k + 1] {
        0 => 0,
        1..=2 => 1,
        _ => 2,
    }
}

/// Writes one channel frame: for a short frame the block `gains` (eight; empty for a long
/// frame), then levels `q` (`N` of them), step indices `steps` (one per band of `edges`,
/// the layout of the frame's kind; only those of non-zero bands are coded), noise
/// indices `noise` (one per band, 0 for none; only those of all-zero bands are coded; empty
/// for none at all) and the fill level of zero levels in coded bands, `fill` (0 to
/// [`MAX_FILL`]; coded when a band is). With the packet's energy switch on, every
/// non-zero band from `energy_start` on carries its energy index `energies[b]` (1 to 255).
#[allow(clippy::too_many_arguments)]
pub fn write_channel<W: SymbolWriter>(
    w: &mut W,
    m: &mut Models,
    state: &mut ChannelState,
    edges: &[usize],
    gains: &[i32],
    q: &[i32],
    steps: &[u8],
    noise: &[u8],
    fill: u8,
    energy_start: usize,
    energies: &[u8],
) {
    let short = !gains.is_empty();
    if short {
        put_gains(w, m, gains);
    }
    let bands = edges.len() - 1;
    let band_zero: Vec<bool> = (0..bands)
        .map(|b| q[edges[b]..edges[b + 1]].iter().all(|&v| v == 0))
        .collect();
    let coded = band_zero.iter().rposition(|&z| !z).map_or(0, |b| b + 1);
    put_exp_golomb(w, &mut m.coded_exp, &mut m.coded_mant, coded as u32);
    let noise_at = |b: usize| {
        if band_zero[b] {
            noise.get(b).copied().unwrap_or(0)
        } else {
            0
        }
    };
    let filled_end = match m.noise {
        true => (0..bands)
            .rposition(|b| noise_at(b) != 0)
            .map_or(0, |b| b + 1),
        false => 0,
    };
    if m.noise {
        w.put_bit(&mut m.noise_on, filled_end > 0);
    }
    if filled_end > 0 {
        let extra = filled_end.saturating_sub(coded) as u32;
        put_exp_golomb(w, &mut m.noise_exp, &mut m.noise_mant, extra);
    }
    if coded > 0 && m.noise {
        // Three bits, most significant first, on a binary tree of models.
        let fill = fill.min(MAX_FILL);
        let mut node = 1;
        for i in (0..3).rev() {
            let bit = (fill >> i) & 1 == 1;
            w.put_bit(&mut m.fill[node - 1], bit);
            node = 2 * node + bit as usize;
        }
    }
    let mut noise_coder = NoiseCoder::new(state.first_noise);
    let mut energy_chain = IndexChain::new(state.first_energy, "energy");
    let mut previous_step = state.first_step as i32;
    let mut first = true;
    let mut previous_zero = true;
    for b in 0..coded.max(filled_end) {
        if b < coded {
            let zctx = previous_zero as usize + 2 * state.band_was_zero[short as usize][b] as usize;
            w.put_bit(&mut m.band_zero[zctx], band_zero[b]);
            previous_zero = band_zero[b];
        }
        if band_zero[b] {
            if filled_end > 0 {
                noise_coder.put(w, m, noise_at(b));
            }
            continue;
        }
        let s = steps[b] as i32;
        m.step_delta.put(w, s - previous_step, first as usize);
        if first {
            state.first_step = steps[b];
            first = false;
        }
        if m.energy && b >= energy_start {
            let e = energies
                .get(b)
                .copied()
                .unwrap_or(STEP_INDEX_CENTRE as u8)
                .max(1);
            energy_chain.put(w, &mut m.energy_delta, e);
        }
        previous_step = s;
        for k in edges[b]..edges[b + 1] {
            let a = if k > 0 { q[k - 1].unsigned_abs() } else { 0 };
            let c = if k > 1 { q[k - 2].unsigned_abs() } else { 0 };
            let nctx = neighbour_context(a, c);
            let ctx = nctx * PREVIOUS_CONTEXTS + previous_context(&state.previous, k);
            let v = q[k];
            let mag = v.unsigned_abs();
            w.put_bit(&mut m.zero[ctx], mag != 0);
            if mag == 0 {
                continue;
            }
            w.put_bit(&mut m.gt1[ctx], mag > 1);
            if mag > 1 {
                w.put_bit(&mut m.gt2[nctx], mag > 2);
                if mag > 2 {
                    let set = (nctx > 2) as usize;
                    put_exp_golomb(w, &mut m.rest_exp[set], &mut m.rest_mant[set], mag - 3);
                }
            }
            w.put_bypass((v < 0) as u32, 1);
        }
    }
    for (p, &v) in state.previous.iter_mut().zip(q) {
        *p = v.unsigned_abs().min(64);
    }
    state.band_was_zero[short as usize].copy_from_slice(&band_zero);
    state.first_noise = noise_coder.chain.first();
    state.first_energy = energy_chain.first();
}

/// A chain of indices from 1 to 255 in one channel frame (its noise or energy indices):
/// each coded as a signed difference from the chain's previous one with the chain's
/// [`DeltaModels`], the first (zero decision in context 1) from the first index of the
/// channel's previous frame that had one (128 at the packet start), the others in context 0.
struct IndexChain {
    previous: i32,
    first: Option<u8>,
    /// What the indices are, for errors ("noise", "energy").
    what: &'static str,
}

impl IndexChain {
    fn new(first_of_previous: u8, what: &'static str) -> IndexChain {
        IndexChain {
            previous: first_of_previous as i32,
            first: None,
            what,
        }
    }

    /// The first index of this frame, or the previous frame's when it had none.
    fn first(&self) -> u8 {
        self.first.unwrap_or(self.previous as u8)
    }

    fn put<W: SymbolWriter>(&mut self, w: &mut W, models: &mut DeltaModels, index: u8) {
        models.put(
            w,
            index as i32 - self.previous,
            self.first.is_none() as usize,
        );
        self.previous = index as i32;
        self.first.get_or_insert(index);
    }

    fn get(&mut self, r: &mut RangeDecoder<'_>, models: &mut DeltaModels) -> Result<u8> {
        let what = self.what;
        let d = models
            .get(r, self.first.is_none() as usize, 255)
            .ok_or_else(|| Error::invalid(format!("audio {what} index difference out of range")))?;
        let index = self.previous + d;
        if !(1..=255).contains(&index) {
            return Err(Error::invalid(format!(
                "audio {what} index {index} (expected 1 to 255)"
            )));
        }
        self.previous = index;
        self.first.get_or_insert(index as u8);
        Ok(index as u8)
    }
}

/// The noise indices of one channel frame: per all-zero band a "filled" flag (context: the
/// band before was filled), and for a filled band its index in the frame's noise
/// [`IndexChain`].
struct NoiseCoder {
    chain: IndexChain,
    last_filled: bool,
}

impl NoiseCoder {
    fn new(first_noise: u8) -> NoiseCoder {
        NoiseCoder {
            chain: IndexChain::new(first_noise, "noise"),
            last_filled: false,
        }
    }

    fn put<W: SymbolWriter>(&mut self, w: &mut W, m: &mut Models, index: u8) {
        w.put_bit(&mut m.noise_band[self.last_filled as usize], index != 0);
        self.last_filled = index != 0;
        if index != 0 {
            self.chain.put(w, &mut m.noise_delta, index);
        }
    }

    fn get(&mut self, r: &mut RangeDecoder<'_>, m: &mut Models) -> Result<u8> {
        self.last_filled = r.get_bit(&mut m.noise_band[self.last_filled as usize]);
        if !self.last_filled {
            return Ok(0);
        }
        self.chain.get(r, &mut m.noise_delta)
    }
}

/// Reads one channel frame written by [`write_channel`] into `gains` (read in a short
/// frame, all 0 otherwise), `q` (`N` levels), `steps` (step indices; 0 for bands that
/// are all zero), `noise` (noise indices; 0 for bands without noise) and `energies`
/// (energy indices of the non-zero bands from `energy_start` when the packet's energy
/// switch is on; 0 elsewhere; one per band).
#[allow(clippy::too_many_arguments)]
pub fn read_channel(
    r: &mut RangeDecoder<'_>,
    m: &mut Models,
    state: &mut ChannelState,
    edges: &[usize],
    short: bool,
    gains: &mut [i32; SHORT_BLOCKS],
    q: &mut [i32],
    steps: &mut [u8],
    noise: &mut [u8],
    fill: &mut u8,
    energy_start: usize,
    energies: &mut [u8],
) -> Result<()> {
    if short {
        get_gains(r, m, gains)?;
    } else {
        gains.iter_mut().for_each(|g| *g = 0);
    }
    let bands = edges.len() - 1;
    let coded = get_exp_golomb(r, &mut m.coded_exp, &mut m.coded_mant)
        .map(|v| v as usize)
        .filter(|&v| v <= bands)
        .ok_or_else(|| Error::invalid(format!("audio frame codes more than its {bands} bands")))?;
    q.iter_mut().for_each(|v| *v = 0);
    steps.iter_mut().for_each(|v| *v = 0);
    noise.iter_mut().for_each(|v| *v = 0);
    energies.iter_mut().for_each(|v| *v = 0);
    let mut filled_end = 0;
    if m.noise && r.get_bit(&mut m.noise_on) {
        let extra = get_exp_golomb(r, &mut m.noise_exp, &mut m.noise_mant)
            .map(|v| v as usize)
            .filter(|&v| v <= bands - coded)
            .ok_or_else(|| {
                Error::invalid(format!("audio frame fills more than its {bands} bands"))
            })?;
        // At least one band is filled: the last of the coded ones when none lies after.
        filled_end = (coded + extra).max(1);
    }
    *fill = 0;
    if coded > 0 && m.noise {
        let mut node = 1;
        for _ in 0..3 {
            let bit = r.get_bit(&mut m.fill[node - 1]);
            node = 2 * node + bit as usize;
        }
        *fill = (node - 8) as u8;
    }
    let mut noise_coder = NoiseCoder::new(state.first_noise);
    let mut energy_chain = IndexChain::new(state.first_energy, "energy");
    let mut previous_step = state.first_step as i32;
    let mut first = true;
    let mut previous_zero = true;
    let mut band_zero = vec![true; bands];
    for b in 0..coded.max(filled_end) {
        if b < coded {
            let zctx = previous_zero as usize + 2 * state.band_was_zero[short as usize][b] as usize;
            let zero = r.get_bit(&mut m.band_zero[zctx]);
            previous_zero = zero;
            band_zero[b] = zero;
        }
        if band_zero[b] {
            if filled_end > 0 {
                noise[b] = noise_coder.get(r, m)?;
            }
            continue;
        }
        let d = m
            .step_delta
            .get(r, first as usize, 256)
            .ok_or_else(|| Error::invalid("audio step index difference out of range"))?;
        let s = previous_step + d;
        if !(0..=255).contains(&s) {
            return Err(Error::invalid(format!(
                "audio step index {s} in band {b} (expected 0 to 255)"
            )));
        }
        steps[b] = s as u8;
        if first {
            state.first_step = s as u8;
            first = false;
        }
        if m.energy && b >= energy_start {
            let e = energy_chain.get(r, &mut m.energy_delta)?;
            if let Some(v) = energies.get_mut(b) {
                *v = e;
            }
        }
        previous_step = s;
        for k in edges[b]..edges[b + 1] {
            let a = if k > 0 { q[k - 1].unsigned_abs() } else { 0 };
            let c = if k > 1 { q[k - 2].unsigned_abs() } else { 0 };
            let nctx = neighbour_context(a, c);
            let ctx = nctx * PREVIOUS_CONTEXTS + previous_context(&state.previous, k);
            if !r.get_bit(&mut m.zero[ctx]) {
                continue;
            }
            let mut mag = 1u32;
            if r.get_bit(&mut m.gt1[ctx]) {
                mag = 2;
                if r.get_bit(&mut m.gt2[nctx]) {
                    let set = (nctx > 2) as usize;
                    let rest = get_exp_golomb(r, &mut m.rest_exp[set], &mut m.rest_mant[set])
                        .filter(|&v| v < MAX_LEVEL)
                        .ok_or_else(|| Error::invalid("audio level out of range"))?;
                    mag = rest + 3;
                }
            }
            let negative = r.get_bypass(1) == 1;
            q[k] = if negative { -(mag as i32) } else { mag as i32 };
        }
    }
    for (p, &v) in state.previous.iter_mut().zip(q.iter()) {
        *p = v.unsigned_abs().min(64);
    }
    state.band_was_zero[short as usize].copy_from_slice(&band_zero);
    state.first_noise = noise_coder.chain.first();
    state.first_energy = energy_chain.first();
    Ok(())
}
