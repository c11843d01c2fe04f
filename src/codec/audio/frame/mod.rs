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
//! The channel frames themselves (levels, steps, noise and energy indices) are written and
//! read in [`channel`]; the signed index differences that several of their syntax elements
//! share are coded by [`DeltaModels`]. The tests sit in `tests`.

mod channel;
#[cfg(test)]
mod tests;

pub use channel::{read_channel, write_channel};

use super::params::STEP_INDEX_CENTRE;
use crate::entropy::{get_exp_golomb, put_exp_golomb, BitModel, RangeDecoder, SymbolWriter};
use crate::error::{Error, Result};
use crate::transform::switched::WindowSequence;

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
    /// The differences between a channel frame's energy indices.
    energy_delta: DeltaModels,
    ms: BitModel,
    ms_split: BitModel,
    ms_band: [BitModel; 2],
    short: [BitModel; 2],
    half: [BitModel; 3],
    /// The differences between a short frame's block gains.
    gain_delta: DeltaModels,
    coded_exp: [BitModel; 8],
    coded_mant: [BitModel; 8],
    band_zero: [BitModel; 4],
    /// The differences between a channel frame's step indices.
    step_delta: DeltaModels,
    noise_on: BitModel,
    noise_band: [BitModel; 2],
    noise_exp: [BitModel; 6],
    noise_mant: [BitModel; 6],
    /// The differences between a channel frame's noise indices.
    noise_delta: DeltaModels,
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
            energy_delta: DeltaModels::new(),
            ms: BitModel::new(),
            ms_split: BitModel::new(),
            ms_band: [BitModel::new(); 2],
            short: [BitModel::with_probability(300); 2],
            half: [BitModel::with_probability(300); 3],
            gain_delta: DeltaModels::new(),
            coded_exp: [BitModel::new(); 8],
            coded_mant: [BitModel::new(); 8],
            band_zero: [BitModel::new(); 4],
            step_delta: DeltaModels {
                zero: [BitModel::with_probability(300); 2],
                ..DeltaModels::new()
            },
            noise_on: BitModel::new(),
            noise_band: [BitModel::new(); 2],
            noise_exp: [BitModel::new(); 6],
            noise_mant: [BitModel::new(); 6],
            noise_delta: DeltaModels::new(),
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

/// The models of one kind of signed difference (of step indices, block gains, noise or
/// energy indices): a "non-zero" decision in one of two contexts (the caller's: the first
/// difference of its chain or a later one), then a sign decision and the magnitude minus
/// one as an Exp-Golomb code.
#[derive(Debug, Clone, Copy)]
pub struct DeltaModels {
    zero: [BitModel; 2],
    sign: BitModel,
    exp: [BitModel; 6],
    mant: [BitModel; 6],
}

impl DeltaModels {
    fn new() -> DeltaModels {
        DeltaModels {
            zero: [BitModel::new(); 2],
            sign: BitModel::new(),
            exp: [BitModel::new(); 6],
            mant: [BitModel::new(); 6],
        }
    }

    /// Writes the difference `d` with the zero decision in context `ctx` (0 or 1).
    fn put<W: SymbolWriter>(&mut self, w: &mut W, d: i32, ctx: usize) {
        w.put_bit(&mut self.zero[ctx], d != 0);
        if d != 0 {
            w.put_bit(&mut self.sign, d < 0);
            put_exp_golomb(w, &mut self.exp, &mut self.mant, d.unsigned_abs() - 1);
        }
    }

    /// Reads a difference written by [`DeltaModels::put`]; `None` when its magnitude
    /// exceeds `max` (or its code is damaged).
    fn get(&mut self, r: &mut RangeDecoder<'_>, ctx: usize, max: u32) -> Option<i32> {
        if !r.get_bit(&mut self.zero[ctx]) {
            return Some(0);
        }
        let negative = r.get_bit(&mut self.sign);
        let magnitude =
            get_exp_golomb(r, &mut self.exp, &mut self.mant).filter(|&v| v < max)? as i32 + 1;
        Some(if negative { -magnitude } else { magnitude })
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
