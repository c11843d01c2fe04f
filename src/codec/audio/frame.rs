//! The syntax of one audio frame: its window, and per channel the quantized MDCT
//! coefficients and their band step sizes (scale factors), range coded with
//! context-adaptive models. The writer and the reader sit side by side and share the
//! contexts.
//!
//! In (writer): the quantized levels `q` of `N` coefficients and a step index per band.
//! Out: binary decisions into any [`SymbolWriter`] (the range encoder, or a bit counter for
//! rate decisions). The reader reverses it from a [`RangeDecoder`], bounding every loop and
//! value so damaged data ends in an error, never a panic or a runaway allocation.
//!
//! The window ([`write_sequence`]): a "short" decision (context: the previous frame of the
//! packet ends short-sloped), and for a long frame whether each half is short-sloped. The
//! stereo of a two-channel frame: its intensity bands ([`write_intensity`], in packets
//! with the noise switch: how many of the highest bands hold only the mid, and a pan index
//! for each), then the choice of the other bands ([`write_stereo`]): L/R or M/S for all,
//! or per band.
//!
//! Syntax, per channel frame: in a short frame first the step gain of each of the eight
//! short blocks (the first as a signed value, the others as signed differences from the
//! one before); the number of coded bands (Exp-Golomb); a "noise" flag and, when set, the
//! number of noise-filled bands after the coded ones; the fill level of zero levels in
//! coded bands (three bits); per coded band a "band is all zero" flag; per all-zero band
//! of a frame with noise a "filled" flag and the noise index as a signed difference; for a non-zero band its step index as a signed difference from
//! the previous non-zero band's (the first from the previous frame's first), then every
//! level: zero flag, greater-than-one flag, greater-than-two flag, Exp-Golomb remainder,
//! sign as a bypass bit. Level contexts come from the two levels below in frequency and the
//! three nearest levels of the previous frame of the same channel in the same packet. A
//! short frame's interleaved coefficients use the short band layout and the same models;
//! index `i` lies near the frequency of index `i` of a long frame, so the previous frame's
//! levels remain a fitting context across a switch.

use super::params::{MAX_GAIN, STEP_INDEX_CENTRE};
use crate::entropy::{get_exp_golomb, put_exp_golomb, BitModel, RangeDecoder, SymbolWriter};
use crate::error::{Error, Result};
use crate::transform::switched::{WindowSequence, SHORT_BLOCKS};

/// Largest fill level of zero levels in coded bands (three bits).
pub const MAX_FILL: u8 = 7;

/// Largest pan index of an intensity band: the left channel gets `pan / MAX_PAN` of the
/// mono downmix's amplitude, the right one the rest.
pub const MAX_PAN: u8 = 16;

/// Largest level magnitude the reader accepts.
pub const MAX_LEVEL: u32 = 1 << 20;

const NEIGHBOUR_CONTEXTS: usize = 5;
const PREVIOUS_CONTEXTS: usize = 3;

/// The adaptive models of one packet, fresh at the start of every packet, and its noise
/// switch (on until a switch is read or written).
#[derive(Debug, Clone)]
pub struct Models {
    /// The packet's channel frames carry noise syntax (see [`write_noise_switch`]).
    noise: bool,
    noise_switch: BitModel,
    /// The packet's coded bands from the noise start carry energy indices (see
    /// [`write_energy_switch`]).
    energy: bool,
    energy_switch: BitModel,
    energy_zero: [BitModel; 2],
    energy_sign: BitModel,
    energy_exp: [BitModel; 6],
    energy_mant: [BitModel; 6],
    ms: BitModel,
    ms_split: BitModel,
    ms_band: [BitModel; 2],
    short: [BitModel; 2],
    half: [BitModel; 3],
    gain_zero: [BitModel; 2],
    gain_sign: BitModel,
    gain_exp: [BitModel; 6],
    gain_mant: [BitModel; 6],
    coded_exp: [BitModel; 8],
    coded_mant: [BitModel; 8],
    band_zero: [BitModel; 4],
    sf_zero: [BitModel; 2],
    sf_sign: BitModel,
    sf_exp: [BitModel; 6],
    sf_mant: [BitModel; 6],
    noise_on: BitModel,
    noise_band: [BitModel; 2],
    noise_exp: [BitModel; 6],
    noise_mant: [BitModel; 6],
    noise_zero: [BitModel; 2],
    noise_sign: BitModel,
    noise_delta_exp: [BitModel; 6],
    noise_delta_mant: [BitModel; 6],
    intensity_exp: [BitModel; 6],
    intensity_mant: [BitModel; 6],
    pan_zero: [BitModel; 2],
    pan_sign: BitModel,
    pan_exp: [BitModel; 4],
    pan_mant: [BitModel; 4],
    fill: [BitModel; 7],
    zero: [BitModel; NEIGHBOUR_CONTEXTS * PREVIOUS_CONTEXTS],
    gt1: [BitModel; NEIGHBOUR_CONTEXTS * PREVIOUS_CONTEXTS],
    gt2: [BitModel; NEIGHBOUR_CONTEXTS],
    rest_exp: [[BitModel; 10]; 2],
    rest_mant: [[BitModel; 10]; 2],
}

impl Default for Models {
    fn default() -> Self {
        Models {
            noise: true,
            noise_switch: BitModel::new(),
            energy: false,
            energy_switch: BitModel::new(),
            energy_zero: [BitModel::new(); 2],
            energy_sign: BitModel::new(),
            energy_exp: [BitModel::new(); 6],
            energy_mant: [BitModel::new(); 6],
            ms: BitModel::new(),
            ms_split: BitModel::new(),
            ms_band: [BitModel::new(); 2],
            short: [BitModel::with_probability(300); 2],
            half: [BitModel::with_probability(300); 3],
            gain_zero: [BitModel::new(); 2],
            gain_sign: BitModel::new(),
            gain_exp: [BitModel::new(); 6],
            gain_mant: [BitModel::new(); 6],
            coded_exp: [BitModel::new(); 8],
            coded_mant: [BitModel::new(); 8],
            band_zero: [BitModel::new(); 4],
            sf_zero: [BitModel::with_probability(300); 2],
            sf_sign: BitModel::new(),
            sf_exp: [BitModel::new(); 6],
            sf_mant: [BitModel::new(); 6],
            noise_on: BitModel::new(),
            noise_band: [BitModel::new(); 2],
            noise_exp: [BitModel::new(); 6],
            noise_mant: [BitModel::new(); 6],
            noise_zero: [BitModel::new(); 2],
            noise_sign: BitModel::new(),
            noise_delta_exp: [BitModel::new(); 6],
            noise_delta_mant: [BitModel::new(); 6],
            intensity_exp: [BitModel::new(); 6],
            intensity_mant: [BitModel::new(); 6],
            pan_zero: [BitModel::new(); 2],
            pan_sign: BitModel::new(),
            pan_exp: [BitModel::new(); 4],
            pan_mant: [BitModel::new(); 4],
            fill: [BitModel::new(); 7],
            zero: [BitModel::with_probability(300); NEIGHBOUR_CONTEXTS * PREVIOUS_CONTEXTS],
            gt1: [BitModel::with_probability(300); NEIGHBOUR_CONTEXTS * PREVIOUS_CONTEXTS],
            gt2: [BitModel::with_probability(400); NEIGHBOUR_CONTEXTS],
            rest_exp: [[BitModel::new(); 10]; 2],
            rest_mant: [[BitModel::new(); 10]; 2],
        }
    }
}

/// What the previous frame of one channel left behind for the contexts.
#[derive(Debug, Clone)]
pub struct ChannelState {
    previous: Vec<u32>,
    /// Per band of the long layout, and of the short layout.
    band_was_zero: [Vec<bool>; 2],
    first_step: u8,
    /// The first noise index of the previous channel frame that had one.
    first_noise: u8,
    /// The first energy index of the previous channel frame that had one.
    first_energy: u8,
}

impl ChannelState {
    /// The state at the start of a packet: an all-zero previous frame; `bands` and
    /// `short_bands` count the bands of the long and the short layout.
    pub fn new(n: usize, bands: usize, short_bands: usize) -> ChannelState {
        ChannelState {
            previous: vec![0; n + 1],
            band_was_zero: [vec![true; bands], vec![true; short_bands]],
            first_step: STEP_INDEX_CENTRE as u8,
            first_noise: STEP_INDEX_CENTRE as u8,
            first_energy: STEP_INDEX_CENTRE as u8,
        }
    }
}

/// Writes a frame's window; `previous` is the window of the packet's frame before (Long at
/// the packet's start).
pub fn write_sequence<W: SymbolWriter>(
    w: &mut W,
    m: &mut Models,
    previous: WindowSequence,
    sequence: WindowSequence,
) {
    let expected = previous.short_after() as usize;
    w.put_bit(&mut m.short[expected], sequence.is_short());
    if !sequence.is_short() {
        w.put_bit(&mut m.half[expected], sequence.short_before());
        w.put_bit(&mut m.half[2], sequence.short_after());
    }
}

/// Reads a frame's window written by [`write_sequence`].
pub fn read_sequence(
    r: &mut RangeDecoder<'_>,
    m: &mut Models,
    previous: WindowSequence,
) -> WindowSequence {
    let expected = previous.short_after() as usize;
    if r.get_bit(&mut m.short[expected]) {
        return WindowSequence::Short;
    }
    let before = r.get_bit(&mut m.half[expected]);
    let after = r.get_bit(&mut m.half[2]);
    WindowSequence::long_from_halves(before, after)
}

/// Writes the packet's switch, its first decision: whether its channel frames carry the
/// noise syntax (noise indices and fill levels) and its frames may choose stereo per band
/// (off in the PSNR tune).
pub fn write_noise_switch<W: SymbolWriter>(w: &mut W, m: &mut Models, on: bool) {
    w.put_bit(&mut m.noise_switch, on);
    m.noise = on;
}

/// Reads the packet's switch written by [`write_noise_switch`].
pub fn read_noise_switch(r: &mut RangeDecoder<'_>, m: &mut Models) {
    m.noise = r.get_bit(&mut m.noise_switch);
}

/// Writes the packet's energy switch, one decision right after the noise switch and only
/// when that is on: whether every non-zero band from the noise start carries an energy
/// index after its step index (see [`write_channel`]).
pub fn write_energy_switch<W: SymbolWriter>(w: &mut W, m: &mut Models, on: bool) {
    m.energy = false;
    if m.noise {
        w.put_bit(&mut m.energy_switch, on);
        m.energy = on;
    }
}

/// Reads the packet's switch written by [`write_energy_switch`].
pub fn read_energy_switch(r: &mut RangeDecoder<'_>, m: &mut Models) {
    m.energy = m.noise && r.get_bit(&mut m.energy_switch);
}

/// Writes the intensity bands of a stereo frame when the packet's switch is on: their
/// count (the highest `pan.len()` bands of the layout; Exp-Golomb, 0 for none), then per
/// band its pan index (0 to [`MAX_PAN`]) as a signed difference from the band before's (the
/// first from the centre, `MAX_PAN / 2`). Fewer intensity bands than the layout holds.
pub fn write_intensity<W: SymbolWriter>(w: &mut W, m: &mut Models, pan: &[u8]) {
    if !m.noise {
        return;
    }
    put_exp_golomb(
        w,
        &mut m.intensity_exp,
        &mut m.intensity_mant,
        pan.len() as u32,
    );
    let mut previous = (MAX_PAN / 2) as i32;
    for (i, &p) in pan.iter().enumerate() {
        let d = p.min(MAX_PAN) as i32 - previous;
        w.put_bit(&mut m.pan_zero[(i > 0) as usize], d != 0);
        if d != 0 {
            w.put_bit(&mut m.pan_sign, d < 0);
            put_exp_golomb(w, &mut m.pan_exp, &mut m.pan_mant, d.unsigned_abs() - 1);
        }
        previous = p.min(MAX_PAN) as i32;
    }
}

/// Reads the intensity bands written by [`write_intensity`] of a frame whose layout has
/// `bands` bands: their pan indices into the start of `pan`; returns their count (0 when
/// the packet's switch is off).
pub fn read_intensity(
    r: &mut RangeDecoder<'_>,
    m: &mut Models,
    bands: usize,
    pan: &mut [u8],
) -> Result<usize> {
    if !m.noise {
        return Ok(0);
    }
    let count = get_exp_golomb(r, &mut m.intensity_exp, &mut m.intensity_mant)
        .filter(|&v| (v as usize) < bands && (v as usize) <= pan.len())
        .ok_or_else(|| Error::invalid("audio intensity band count out of range"))?
        as usize;
    let mut previous = (MAX_PAN / 2) as i32;
    for (i, p) in pan[..count].iter_mut().enumerate() {
        let mut d = 0;
        if r.get_bit(&mut m.pan_zero[(i > 0) as usize]) {
            let negative = r.get_bit(&mut m.pan_sign);
            let magnitude = get_exp_golomb(r, &mut m.pan_exp, &mut m.pan_mant)
                .filter(|&v| v < MAX_PAN as u32)
                .ok_or_else(|| Error::invalid("audio pan difference out of range"))?
                as i32
                + 1;
            d = if negative { -magnitude } else { magnitude };
        }
        let value = previous + d;
        if !(0..=MAX_PAN as i32).contains(&value) {
            return Err(Error::invalid(format!(
                "audio pan index {value} (expected 0 to {MAX_PAN})"
            )));
        }
        *p = value as u8;
        previous = value;
    }
    Ok(count)
}

/// Writes a stereo frame's mid/side choice per band of its layout (`ms[b]`: band `b` holds
/// mid and side): when the packet's switch is on a "per band" decision, then either one
/// "mid/side" decision for all bands or one per band (context: the band before's).
pub fn write_stereo<W: SymbolWriter>(w: &mut W, m: &mut Models, ms: &[bool]) {
    // Without the packet's switch, one choice for the frame (the first band's).
    let split = m.noise && ms.iter().any(|&v| v != ms[0]);
    if m.noise {
        w.put_bit(&mut m.ms_split, split);
    }
    if !split {
        w.put_bit(&mut m.ms, ms[0]);
        return;
    }
    let mut previous = false;
    for &v in ms {
        w.put_bit(&mut m.ms_band[previous as usize], v);
        previous = v;
    }
}

/// Reads the per-band mid/side choice written by [`write_stereo`] into `ms` (one per band).
pub fn read_stereo(r: &mut RangeDecoder<'_>, m: &mut Models, ms: &mut [bool]) {
    if !(m.noise && r.get_bit(&mut m.ms_split)) {
        let all = r.get_bit(&mut m.ms);
        ms.fill(all);
        return;
    }
    let mut previous = false;
    for v in ms.iter_mut() {
        *v = r.get_bit(&mut m.ms_band[previous as usize]);
        previous = *v;
    }
}

fn put_gains<W: SymbolWriter>(w: &mut W, m: &mut Models, gains: &[i32]) {
    let mut previous = 0;
    for (b, &g) in gains.iter().enumerate() {
        let d = g - previous;
        w.put_bit(&mut m.gain_zero[(b > 0) as usize], d != 0);
        if d != 0 {
            w.put_bit(&mut m.gain_sign, d < 0);
            put_exp_golomb(w, &mut m.gain_exp, &mut m.gain_mant, d.unsigned_abs() - 1);
        }
        previous = g;
    }
}

fn get_gains(r: &mut RangeDecoder<'_>, m: &mut Models, gains: &mut [i32]) -> Result<()> {
    let mut previous = 0;
    for (b, g) in gains.iter_mut().enumerate() {
        let mut d = 0;
        if r.get_bit(&mut m.gain_zero[(b > 0) as usize]) {
            let negative = r.get_bit(&mut m.gain_sign);
            let magnitude = get_exp_golomb(r, &mut m.gain_exp, &mut m.gain_mant)
                .filter(|&v| v < 2 * MAX_GAIN as u32)
                .ok_or_else(|| Error::invalid("audio short block gain out of range"))?
                as i32
                + 1;
            d = if negative { -magnitude } else { magnitude };
        }
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

fn put_signed<W: SymbolWriter>(w: &mut W, m: &mut Models, value: i32, ctx: usize) {
    w.put_bit(&mut m.sf_zero[ctx], value != 0);
    if value != 0 {
        w.put_bit(&mut m.sf_sign, value < 0);
        put_exp_golomb(w, &mut m.sf_exp, &mut m.sf_mant, value.unsigned_abs() - 1);
    }
}

fn get_signed(r: &mut RangeDecoder<'_>, m: &mut Models, ctx: usize) -> Result<i32> {
    if !r.get_bit(&mut m.sf_zero[ctx]) {
        return Ok(0);
    }
    let negative = r.get_bit(&mut m.sf_sign);
    let magnitude = get_exp_golomb(r, &mut m.sf_exp, &mut m.sf_mant)
        .filter(|&v| v < 256)
        .ok_or_else(|| Error::invalid("audio step index difference out of range"))?
        as i32
        + 1;
    Ok(if negative { -magnitude } else { magnitude })
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
    let mut energy_coder = EnergyCoder::new(state.first_energy);
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
        put_signed(w, m, s - previous_step, first as usize);
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
            energy_coder.put(w, m, e);
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
    state.first_noise = noise_coder.first_noise();
    state.first_energy = energy_coder.first();
}

/// The energy indices of one channel frame's non-zero bands from the energy start: each a
/// signed difference from the frame's previous one (the first from the first of the
/// channel's previous frame that had one, 128 at the packet start): a zero decision
/// (context: first of the frame or not), a sign decision and an Exp-Golomb magnitude minus
/// one.
struct EnergyCoder {
    previous: i32,
    first: Option<u8>,
}

impl EnergyCoder {
    fn new(first_energy: u8) -> EnergyCoder {
        EnergyCoder {
            previous: first_energy as i32,
            first: None,
        }
    }

    /// The first index of this frame, or the previous frame's when it had none.
    fn first(&self) -> u8 {
        self.first.unwrap_or(self.previous as u8)
    }

    fn put<W: SymbolWriter>(&mut self, w: &mut W, m: &mut Models, index: u8) {
        let d = index as i32 - self.previous;
        w.put_bit(&mut m.energy_zero[self.first.is_none() as usize], d != 0);
        if d != 0 {
            w.put_bit(&mut m.energy_sign, d < 0);
            put_exp_golomb(
                w,
                &mut m.energy_exp,
                &mut m.energy_mant,
                d.unsigned_abs() - 1,
            );
        }
        self.previous = index as i32;
        self.first.get_or_insert(index);
    }

    fn get(&mut self, r: &mut RangeDecoder<'_>, m: &mut Models) -> Result<u8> {
        let mut d = 0;
        if r.get_bit(&mut m.energy_zero[self.first.is_none() as usize]) {
            let negative = r.get_bit(&mut m.energy_sign);
            let magnitude = get_exp_golomb(r, &mut m.energy_exp, &mut m.energy_mant)
                .filter(|&v| v < 255)
                .ok_or_else(|| Error::invalid("audio energy index difference out of range"))?
                as i32
                + 1;
            d = if negative { -magnitude } else { magnitude };
        }
        let index = self.previous + d;
        if !(1..=255).contains(&index) {
            return Err(Error::invalid(format!(
                "audio energy index {index} (expected 1 to 255)"
            )));
        }
        self.previous = index;
        self.first.get_or_insert(index as u8);
        Ok(index as u8)
    }
}

/// The noise indices of one channel frame: per all-zero band a "filled" flag (context: the
/// band before was filled), and for a filled band its index as a signed difference from the
/// frame's previous filled band (the first from the first of the channel's previous frame
/// that had one).
struct NoiseCoder {
    previous: i32,
    first: Option<u8>,
    last_filled: bool,
}

impl NoiseCoder {
    fn new(first_noise: u8) -> NoiseCoder {
        NoiseCoder {
            previous: first_noise as i32,
            first: None,
            last_filled: false,
        }
    }

    /// The first index of this frame, or the previous frame's when it had none.
    fn first_noise(&self) -> u8 {
        self.first.unwrap_or(self.previous as u8)
    }

    fn put<W: SymbolWriter>(&mut self, w: &mut W, m: &mut Models, index: u8) {
        w.put_bit(&mut m.noise_band[self.last_filled as usize], index != 0);
        self.last_filled = index != 0;
        if index == 0 {
            return;
        }
        let d = index as i32 - self.previous;
        w.put_bit(&mut m.noise_zero[self.first.is_none() as usize], d != 0);
        if d != 0 {
            w.put_bit(&mut m.noise_sign, d < 0);
            put_exp_golomb(
                w,
                &mut m.noise_delta_exp,
                &mut m.noise_delta_mant,
                d.unsigned_abs() - 1,
            );
        }
        self.previous = index as i32;
        self.first.get_or_insert(index);
    }

    fn get(&mut self, r: &mut RangeDecoder<'_>, m: &mut Models) -> Result<u8> {
        self.last_filled = r.get_bit(&mut m.noise_band[self.last_filled as usize]);
        if !self.last_filled {
            return Ok(0);
        }
        let mut d = 0;
        if r.get_bit(&mut m.noise_zero[self.first.is_none() as usize]) {
            let negative = r.get_bit(&mut m.noise_sign);
            let magnitude = get_exp_golomb(r, &mut m.noise_delta_exp, &mut m.noise_delta_mant)
                .filter(|&v| v < 255)
                .ok_or_else(|| Error::invalid("audio noise index difference out of range"))?
                as i32
                + 1;
            d = if negative { -magnitude } else { magnitude };
        }
        let index = self.previous + d;
        if !(1..=255).contains(&index) {
            return Err(Error::invalid(format!(
                "audio noise index {index} (expected 1 to 255)"
            )));
        }
        self.previous = index;
        self.first.get_or_insert(index as u8);
        Ok(index as u8)
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
    let mut energy_coder = EnergyCoder::new(state.first_energy);
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
        let s = previous_step + get_signed(r, m, first as usize)?;
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
            let e = energy_coder.get(r, m)?;
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
    state.first_noise = noise_coder.first_noise();
    state.first_energy = energy_coder.first();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::{BitCounter, RangeEncoder};

    /// A long frame's levels: sparse small values, scaled by `scale`.
    fn levels(scale: i32) -> Vec<i32> {
        (0..64)
            .map(|k| match (k * 7) % 11 {
                0 => 40 - k,
                1 => -1,
                2 => 3,
                _ => 0,
            } * scale)
            .collect()
    }

    #[test]
    fn intensity_bands_round_trip_and_bad_counts_are_refused() {
        let pans: [&[u8]; 3] = [&[], &[8, 0, 16, 16, 3], &[MAX_PAN]];
        let mut enc = RangeEncoder::with_capacity(64);
        let mut m = Models::default();
        for pan in pans {
            write_intensity(&mut enc, &mut m, pan);
        }
        let bytes = enc.finish();
        let mut r = RangeDecoder::new(&bytes);
        let mut m = Models::default();
        let mut out = [0u8; 8];
        for pan in pans {
            let count = read_intensity(&mut r, &mut m, 8, &mut out).unwrap();
            assert_eq!(&out[..count], pan);
        }
        // Without the packet's switch nothing is written or read.
        let mut enc = RangeEncoder::with_capacity(64);
        let mut m = Models::default();
        write_noise_switch(&mut enc, &mut m, false);
        write_intensity(&mut enc, &mut m, &[1, 2]);
        let bytes = enc.finish();
        let mut r = RangeDecoder::new(&bytes);
        let mut m = Models::default();
        read_noise_switch(&mut r, &mut m);
        assert_eq!(read_intensity(&mut r, &mut m, 8, &mut out).unwrap(), 0);
        // A count of every band of the layout (or more) is an error, not a panic.
        let mut enc = RangeEncoder::with_capacity(64);
        let mut m = Models::default();
        write_intensity(&mut enc, &mut m, &[8; 5]);
        let bytes = enc.finish();
        let mut m = Models::default();
        let e = read_intensity(&mut RangeDecoder::new(&bytes), &mut m, 5, &mut out);
        assert!(e.unwrap_err().to_string().contains("intensity"));
    }

    #[test]
    fn bit_counter_prices_a_frame_like_the_range_coder() {
        // Silence, then ever larger levels: the counter's price and the range coder's
        // output grow in the same order, and the price is within the coder's 4 bytes of
        // flush plus 30 % of the real size (the counter prices every decision with the
        // models as they were at the start; the coder adapts them). Measured: 1, 243, 373
        // and 481 bits counted against 4, 29, 36 and 43 bytes written.
        let edges = vec![0, 4, 8, 16, 32, 64];
        let steps = vec![100u8, 120, 90, 255, 0];
        let mut previous = (0.0, 0usize);
        for scale in [0, 1, 8, 64] {
            let q = levels(scale);
            // The same channel, from fresh models and state, into `writer`.
            fn write<W: SymbolWriter>(writer: &mut W, edges: &[usize], q: &[i32], steps: &[u8]) {
                let mut state = ChannelState::new(64, 5, 3);
                write_channel(
                    writer,
                    &mut Models::default(),
                    &mut state,
                    edges,
                    &[],
                    q,
                    steps,
                    &[],
                    0,
                    0,
                    &[],
                );
            }
            let mut counter = BitCounter::new();
            write(&mut counter, &edges, &q, &steps);
            let mut enc = RangeEncoder::new();
            write(&mut enc, &edges, &q, &steps);
            let bytes = enc.finish().len();
            let bits = counter.bits();
            assert!(
                (bits - 8.0 * bytes as f64).abs() <= 8.0 * 4.0 + 0.3 * bits,
                "scale {scale}: {bits} bits counted, {bytes} bytes written"
            );
            if scale > 0 {
                assert!(bits > previous.0 && bytes > previous.1, "scale {scale}");
            }
            previous = (bits, bytes);
        }
    }

    #[test]
    fn channel_round_trip() {
        let edges = vec![0, 4, 8, 16, 32, 64];
        let short_edges = vec![0, 16, 32, 64];
        // Frames 1 and 2 are short (interleaved blocks, their own layout and gains).
        let sequences = [
            WindowSequence::Start,
            WindowSequence::Short,
            WindowSequence::Short,
            WindowSequence::Stop,
        ];
        let frames: Vec<(Vec<i32>, Vec<u8>, Vec<i32>)> = (0..4)
            .map(|f| {
                let q = (0..64)
                    .map(|k| match (k * 7 + f * 3) % 11 {
                        0 => 40 - k,
                        1 => -1,
                        2 => 3,
                        _ => 0,
                    } * if k > 40 && f == 2 { 0 } else { 1 })
                    .collect();
                let short = sequences[f as usize].is_short();
                let s = if short {
                    vec![100 + f as u8, 255, 0]
                } else {
                    vec![100 + f as u8, 120, 90, 255, 0]
                };
                let g = if short {
                    vec![0, -3, -3, -48, 48, 0, 1, -1]
                } else {
                    Vec::new()
                };
                (q, s, g)
            })
            .collect();
        let mut enc = RangeEncoder::new();
        let mut m = Models::default();
        let mut st = ChannelState::new(64, 5, 3);
        let mut previous = WindowSequence::Long;
        for (f, (q, s, g)) in frames.iter().enumerate() {
            let e = if g.is_empty() { &edges } else { &short_edges };
            write_sequence(&mut enc, &mut m, previous, sequences[f]);
            write_channel(&mut enc, &mut m, &mut st, e, g, q, s, &[], f as u8, 0, &[]);
            previous = sequences[f];
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = Models::default();
        let mut st = ChannelState::new(64, 5, 3);
        let mut q = vec![0i32; 64];
        let mut s = vec![0u8; 5];
        let mut g = [0i32; SHORT_BLOCKS];
        let mut nz = vec![0u8; 5];
        let mut fill = 0u8;
        let mut previous = WindowSequence::Long;
        for (f, (wq, ws, wg)) in frames.iter().enumerate() {
            let sequence = read_sequence(&mut dec, &mut m, previous);
            assert_eq!(sequence, sequences[f]);
            previous = sequence;
            let short = sequence.is_short();
            let e = if short { &short_edges } else { &edges };
            read_channel(
                &mut dec,
                &mut m,
                &mut st,
                e,
                short,
                &mut g,
                &mut q,
                &mut s,
                &mut nz,
                &mut fill,
                0,
                &mut [],
            )
            .unwrap();
            assert!(nz.iter().all(|&v| v == 0));
            assert_eq!(fill, f as u8);
            assert_eq!(&q, wq);
            if short {
                assert_eq!(&g[..], &wg[..]);
            }
            for b in 0..e.len() - 1 {
                if wq[e[b]..e[b + 1]].iter().any(|&v| v != 0) {
                    assert_eq!(s[b], ws[b]);
                }
            }
        }
        // Garbage never panics.
        let junk: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut dec = RangeDecoder::new(&junk);
        let mut m = Models::default();
        let mut st = ChannelState::new(64, 5, 3);
        for i in 0..50 {
            let short = i % 3 == 0;
            let e = if short { &short_edges } else { &edges };
            let _ = read_channel(
                &mut dec,
                &mut m,
                &mut st,
                e,
                short,
                &mut g,
                &mut q,
                &mut s,
                &mut nz,
                &mut fill,
                0,
                &mut [],
            );
        }
    }

    #[test]
    fn noise_indices_round_trip_on_zero_bands_only() {
        let edges = vec![0, 4, 8, 16, 32, 64, 96, 128];
        // Bands 1, 3, 5 and 6 are all zero; 5 and 6 lie after the last coded band (4).
        let q: Vec<i32> = (0..128)
            .map(|k| match k {
                0 | 2 => 3,
                9..=11 => -1,
                40 => 7,
                _ => 0,
            })
            .collect();
        let steps = vec![120u8, 0, 110, 0, 100, 0, 0];
        let cases: [Vec<u8>; 5] = [
            // A noise index on a coded band (0 and 2) is not coded.
            vec![9, 80, 9, 1, 9, 255, 70],
            vec![0, 0, 0, 60, 0, 0, 0],
            vec![0, 0, 0, 0, 0, 0, 90],
            vec![0, 0, 0, 0, 0, 0, 0],
            vec![],
        ];
        let mut enc = RangeEncoder::new();
        let mut m = Models::default();
        let mut st = ChannelState::new(128, 7, 3);
        for (i, noise) in cases.iter().enumerate() {
            let fill = [7, 0, 3, 1, 4][i];
            write_channel(
                &mut enc,
                &mut m,
                &mut st,
                &edges,
                &[],
                &q,
                &steps,
                noise,
                fill,
                0,
                &[],
            );
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = Models::default();
        let mut st = ChannelState::new(128, 7, 3);
        let (mut rq, mut rs, mut rn) = (vec![0i32; 128], vec![0u8; 7], vec![0u8; 7]);
        let mut g = [0i32; SHORT_BLOCKS];
        let mut fill = 0;
        for (i, noise) in cases.iter().enumerate() {
            read_channel(
                &mut dec,
                &mut m,
                &mut st,
                &edges,
                false,
                &mut g,
                &mut rq,
                &mut rs,
                &mut rn,
                &mut fill,
                0,
                &mut [],
            )
            .unwrap();
            assert_eq!(fill, [7, 0, 3, 1, 4][i]);
            assert_eq!(rq, q);
            let expected: Vec<u8> = (0..7)
                .map(|b| match b {
                    0 | 2 | 4 => 0,
                    _ => noise.get(b).copied().unwrap_or(0),
                })
                .collect();
            assert_eq!(rn, expected);
        }
        assert!(!dec.overran());
    }

    #[test]
    fn energy_indices_round_trip_on_coded_bands_from_the_start_only() {
        let edges = vec![0, 4, 8, 16, 32, 64, 96, 128];
        // Bands 0, 2, 4 and 6 are coded; the energy start is band 2.
        let q: Vec<i32> = (0..128)
            .map(|k| match k {
                1 => 2,
                9 => -1,
                40 => 5,
                100 => 1,
                _ => 0,
            })
            .collect();
        let steps = vec![120u8, 0, 110, 0, 100, 0, 90];
        let cases: [(bool, Vec<u8>); 4] = [
            (true, vec![7, 7, 140, 7, 1, 7, 255]),
            (true, vec![0, 0, 100, 0, 100, 0, 100]),
            (false, vec![0, 0, 50, 0, 60, 0, 70]),
            (true, vec![0, 0, 128, 0, 3, 0, 250]),
        ];
        let mut enc = RangeEncoder::new();
        for (on, energies) in &cases {
            let mut m = Models::default();
            write_noise_switch(&mut enc, &mut m, true);
            write_energy_switch(&mut enc, &mut m, *on);
            let mut st = ChannelState::new(128, 7, 3);
            for _ in 0..2 {
                write_channel(
                    &mut enc,
                    &mut m,
                    &mut st,
                    &edges,
                    &[],
                    &q,
                    &steps,
                    &[],
                    2,
                    2,
                    energies,
                );
            }
        }
        // The switch is not coded when the noise switch is off.
        let mut m = Models::default();
        write_noise_switch(&mut enc, &mut m, false);
        write_energy_switch(&mut enc, &mut m, true);
        write_channel(
            &mut enc,
            &mut m,
            &mut ChannelState::new(128, 7, 3),
            &edges,
            &[],
            &q,
            &steps,
            &[],
            0,
            2,
            &[9; 7],
        );
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let (mut rq, mut rs, mut rn, mut re) =
            (vec![0i32; 128], vec![0u8; 7], vec![0u8; 7], vec![9u8; 7]);
        let mut g = [0i32; SHORT_BLOCKS];
        let mut fill = 0;
        for (on, energies) in &cases {
            let mut m = Models::default();
            read_noise_switch(&mut dec, &mut m);
            read_energy_switch(&mut dec, &mut m);
            let mut st = ChannelState::new(128, 7, 3);
            for _ in 0..2 {
                read_channel(
                    &mut dec, &mut m, &mut st, &edges, false, &mut g, &mut rq, &mut rs, &mut rn,
                    &mut fill, 2, &mut re,
                )
                .unwrap();
                assert_eq!(rq, q);
                let expected: Vec<u8> = (0..7)
                    .map(|b| match b {
                        2 | 4 | 6 if *on => energies[b],
                        _ => 0,
                    })
                    .collect();
                assert_eq!(re, expected);
            }
        }
        let mut m = Models::default();
        read_noise_switch(&mut dec, &mut m);
        read_energy_switch(&mut dec, &mut m);
        read_channel(
            &mut dec,
            &mut m,
            &mut ChannelState::new(128, 7, 3),
            &edges,
            false,
            &mut g,
            &mut rq,
            &mut rs,
            &mut rn,
            &mut fill,
            2,
            &mut re,
        )
        .unwrap();
        assert_eq!(re, vec![0; 7]);
        assert!(!dec.overran());
        // Garbage with the energy switch on ends in errors, never a panic.
        let junk: Vec<u8> = (0..300u32).map(|i| (i * 53 % 241) as u8).collect();
        let mut dec = RangeDecoder::new(&junk);
        let mut m = Models {
            noise: true,
            energy: true,
            ..Models::default()
        };
        let mut st = ChannelState::new(128, 7, 3);
        for _ in 0..50 {
            let _ = read_channel(
                &mut dec, &mut m, &mut st, &edges, false, &mut g, &mut rq, &mut rs, &mut rn,
                &mut fill, 2, &mut re,
            );
        }
    }

    #[test]
    fn stereo_choices_round_trip() {
        let cases: [Vec<bool>; 4] = [
            vec![false; 6],
            vec![true; 6],
            vec![true, true, false, true, false, false],
            vec![false, false, false, false, false, true],
        ];
        let mut enc = RangeEncoder::new();
        let mut m = Models::default();
        for ms in &cases {
            write_stereo(&mut enc, &mut m, ms);
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = Models::default();
        let mut got = [true; 6];
        for ms in &cases {
            read_stereo(&mut dec, &mut m, &mut got);
            assert_eq!(&got[..], &ms[..]);
        }
        // With the packet's switch off a frame has one choice, its first band's.
        let mut enc = RangeEncoder::new();
        let mut m = Models::default();
        write_noise_switch(&mut enc, &mut m, false);
        write_stereo(&mut enc, &mut m, &cases[2]);
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = Models::default();
        read_noise_switch(&mut dec, &mut m);
        read_stereo(&mut dec, &mut m, &mut got);
        assert_eq!(got, [true; 6]);
    }

    #[test]
    fn a_packet_without_noise_syntax_codes_none() {
        let edges = vec![0, 4, 8, 16];
        let q: Vec<i32> = (0..16).map(|k| if k == 1 { 2 } else { 0 }).collect();
        let steps = vec![120u8, 0, 0];
        let mut enc = RangeEncoder::new();
        let mut m = Models::default();
        let mut st = ChannelState::new(16, 3, 3);
        write_noise_switch(&mut enc, &mut m, false);
        write_channel(
            &mut enc,
            &mut m,
            &mut st,
            &edges,
            &[],
            &q,
            &steps,
            &[0, 50, 60],
            5,
            0,
            &[],
        );
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = Models::default();
        let mut st = ChannelState::new(16, 3, 3);
        read_noise_switch(&mut dec, &mut m);
        let (mut rq, mut rs, mut rn, mut fill) = (vec![0; 16], vec![0; 3], vec![9; 3], 9);
        let mut g = [0i32; SHORT_BLOCKS];
        read_channel(
            &mut dec,
            &mut m,
            &mut st,
            &edges,
            false,
            &mut g,
            &mut rq,
            &mut rs,
            &mut rn,
            &mut fill,
            0,
            &mut [],
        )
        .unwrap();
        assert_eq!((rq, rn, fill), (q, vec![0, 0, 0], 0));
    }
}
