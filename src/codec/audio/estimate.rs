//! A packet's size at any step offset, estimated from one pass over its coefficients, so
//! that the bitrate control codes a packet once or twice instead of searching by trial.
//!
//! In: one analysed packet ([`Analysis`]) and its band layouts. Out: [`SizeModel`], whose
//! [`SizeModel::bits`] gives the estimated bits of the packet's coefficients at a step
//! offset, and [`SizeModel::offset_for`] the offset whose estimate meets a bit target.
//!
//! Every step is `2^((s - 128) / 4)`, so a coefficient's level at offset `o` depends only
//! on `y - o`, where `y = 4 log2(|c| / step(s))` is its magnitude in quarter octaves of its
//! step at offset 0. The model counts coefficients by whole `y` (exact quarter-octave bins
//! from the float's exponent and mantissa, no logarithm), separately below the noise start
//! and from it on (their dead-zone roundings differ). A band is coded at `o` when its peak
//! quantizes to a non-zero level; its zeros and step index cost a little, counted by the
//! peak's bin. The estimate at `o` sums, over the bins, the count times the bits of the
//! level of the bin's centre: roughly the coefficient coder's costs (a zero flag, a sign,
//! an Exp-Golomb tail). It is not the coder's exact size: the rate control scales it by
//! the ratio of the real size to the estimate it last measured, which the context
//! modelling keeps near constant from one packet to the next.

use super::analysis::Analysis;
use super::params::STEP_INDEX_CENTRE;
use super::Layouts;

/// Bins of `y` (quarter octaves of |c| over the step at offset 0), from `-BIAS`.
const BINS: usize = 512;
const BIAS: i32 = 256;

// The costs below were fitted (least squares on relative error, non-negative) to the
// real sizes of the corpus music's packets, 5 files at 48 and 96 kbit/s, each packet coded
// at eight offsets from -30 to 6: the estimate's log-ratio to the real size varies by 0.04
// (standard deviation) over one packet's offsets and by 0.05 between neighbouring packets.

/// Bits of a non-zero level `m` beyond its band's zeros: `LEVEL_BITS + LEVEL_OCTAVE_BITS
/// * log2(m)` (the zero flag's other side, the greater-than flags, the sign, the tail).
const LEVEL_BITS: f32 = 2.5;
const LEVEL_OCTAVE_BITS: f32 = 1.16;

/// Bits of every coefficient of a coded band (a zero costs this alone).
const ZERO_BITS: f32 = 0.64;

/// Bits of a coded band's step index below the noise start, and of an uncoded band's
/// noise index from the noise start on (a coded band there costs no more than its
/// levels).
const BAND_BITS: f32 = 3.5;
const NOISE_BITS: f32 = 3.5;

/// Bits of one channel of one frame: its flags, gains and coded-band count.
const FRAME_BITS: f32 = 22.0;

/// Offsets the bitrate control tries stay within this range (either way).
pub(crate) const OFFSET_RANGE: f64 = 200.0;

/// Coefficient and band counts of one packet by quarter-octave bin (see the module
/// documentation).
pub(crate) struct SizeModel {
    /// Non-zero coefficients by bin, below the noise start and from it on.
    levels: [Vec<u32>; 2],
    /// Coefficients of the bands whose peak falls in each bin, below the noise start and
    /// from it on.
    bands: [Vec<u32>; 2],
    /// Bands whose peak falls in each bin, below the noise start and from it on.
    band_count: [Vec<u32>; 2],
    /// The lowest and highest bin counted plus one.
    span: (usize, usize),
    /// Bits at any offset: every frame's channels, and every band from the noise start
    /// (that is not silent) as if it were filled with noise.
    fixed: f32,
}

/// Bits by the distance `d` of a bin from the offset (in quarter octaves), for the two
/// roundings: built once per stream.
pub(crate) struct CostTable {
    /// The bits of a non-zero level beyond a zero's, or 0 where the level is zero.
    level: [Vec<f32>; 2],
    /// The rounding the table was built for.
    rounding: [f32; 2],
}

/// Distances `d` in the table run from `-DISTANCE_BIAS`.
const DISTANCE_BIAS: i32 = 1024;

impl CostTable {
    /// The table for the dead-zone `rounding` below the noise start and from it on.
    pub(crate) fn new(rounding: [f32; 2]) -> CostTable {
        let row = |r: f32| {
            (0..2 * DISTANCE_BIAS)
                .map(|i| {
                    let m = level(i - DISTANCE_BIAS, r);
                    if m < 1.0 {
                        0.0
                    } else {
                        level_bits(m)
                    }
                })
                .collect()
        };
        CostTable {
            level: [row(rounding[0]), row(rounding[1])],
            rounding,
        }
    }

    /// The rounding the table was built for.
    pub(crate) fn rounding(&self) -> [f32; 2] {
        self.rounding
    }
}

/// The whole quarter octaves of `|c|` (`floor(4 log2 |c|)`), or `None` for zero and for
/// magnitudes too small to matter.
#[inline]
fn quarter_octaves(c: f32) -> Option<i32> {
    let bits = c.abs().to_bits();
    let exponent = (bits >> 23) as i32;
    if exponent == 0 {
        return None;
    }
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let quarter = (mantissa >= 1.189_207_1) as i32
        + (mantissa >= std::f32::consts::SQRT_2) as i32
        + (mantissa >= 1.681_792_8) as i32;
    Some(4 * (exponent - 127) + quarter)
}

/// The bin of magnitude `c` under step index `s` (before the offset).
#[inline]
fn bin(c: f32, s: i32) -> Option<usize> {
    quarter_octaves(c)
        .map(|q| (q - (s - STEP_INDEX_CENTRE) + BIAS).clamp(0, BINS as i32 - 1) as usize)
}

/// The level of a magnitude `d + 0.5` quarter octaves above its step under `rounding`.
fn level(d: i32, rounding: f32) -> f32 {
    (2f32.powf((d as f32 + 0.5) / 4.0) + rounding).floor()
}

/// Estimated bits of one non-zero level `m` beyond a zero's.
fn level_bits(m: f32) -> f32 {
    LEVEL_BITS + LEVEL_OCTAVE_BITS * m.log2()
}

impl SizeModel {
    /// Counts the coefficients of `analysis` (one pass).
    pub(crate) fn new(analysis: &Analysis, layouts: &Layouts) -> SizeModel {
        let mut model = SizeModel::empty();
        for frame in &analysis.frame {
            let edges = layouts.edges(frame.sequence);
            let noise_start = layouts.noise_start(frame.sequence);
            let channels = frame.coeffs.len() as f32;
            model.fixed += channels * FRAME_BITS;
            for (ch, coeffs) in frame.coeffs.iter().enumerate() {
                let gains = frame.gains.get(ch).map_or(&[0][..], |g| {
                    if g.is_empty() {
                        &[0][..]
                    } else {
                        &g[..]
                    }
                });
                let mask = gains.len() - 1;
                for b in 0..edges.len() - 1 {
                    let class = (b >= noise_start) as usize;
                    let s = frame.base_steps[ch][b].round() as i32;
                    let mut peak = None;
                    for (i, &c) in coeffs[edges[b]..edges[b + 1]].iter().enumerate() {
                        if let Some(k) = bin(c, s + gains[i & mask]) {
                            model.levels[class][k] += 1;
                            peak = peak.max(Some(k));
                            model.span.0 = model.span.0.min(k);
                        }
                    }
                    if let Some(k) = peak {
                        model.add_band(class, k, (edges[b + 1] - edges[b]) as u32);
                    }
                }
            }
        }
        model
    }

    fn empty() -> SizeModel {
        SizeModel {
            levels: [vec![0; BINS], vec![0; BINS]],
            bands: [vec![0; BINS], vec![0; BINS]],
            band_count: [vec![0; BINS], vec![0; BINS]],
            span: (BINS, 0),
            fixed: 0.0,
        }
    }

    /// Counts a band of `size` coefficients whose peak is in bin `k`.
    fn add_band(&mut self, class: usize, k: usize, size: u32) {
        if class == 1 {
            self.fixed += NOISE_BITS;
        }
        self.bands[class][k] += size;
        self.band_count[class][k] += 1;
        self.span = (self.span.0.min(k), self.span.1.max(k + 1));
    }

    /// Estimated bits at the whole offset `offset` (within the coder's range).
    fn bits_whole(&self, offset: i32, costs: &CostTable) -> f32 {
        let mut bits = self.fixed;
        let (first, end) = self.span;
        for class in 0..2 {
            let band_bits = [BAND_BITS, -NOISE_BITS][class];
            let start = first as i32 - BIAS - offset + DISTANCE_BIAS;
            let table = &costs.level[class][start as usize..];
            for (i, &cost) in table.iter().take(end.saturating_sub(first)).enumerate() {
                if cost == 0.0 {
                    continue;
                }
                let k = first + i;
                bits += self.levels[class][k] as f32 * cost
                    + self.bands[class][k] as f32 * ZERO_BITS
                    + self.band_count[class][k] as f32 * band_bits;
            }
        }
        bits
    }

    /// Estimated bits at `offset`, interpolated between whole offsets as the coder
    /// dithers a fraction over the packet's frames.
    pub(crate) fn bits(&self, offset: f64, costs: &CostTable) -> f64 {
        let offset = offset.clamp(-OFFSET_RANGE, OFFSET_RANGE);
        let whole = offset.floor();
        let fraction = offset - whole;
        let low = self.bits_whole(whole as i32, costs) as f64;
        if fraction == 0.0 {
            return low;
        }
        let high = self.bits_whole(whole as i32 + 1, costs) as f64;
        low + fraction * (high - low)
    }

    /// The offset (to 1/64) whose estimate times `scale` is closest to `target` bits,
    /// found by bisection: the estimate falls as the offset grows.
    pub(crate) fn offset_for(&self, target: f64, scale: f64, costs: &CostTable) -> f64 {
        let (mut low, mut high) = (-OFFSET_RANGE, OFFSET_RANGE);
        while high - low > 1.0 / 64.0 {
            let mid = 0.5 * (low + high);
            if scale * self.bits(mid, costs) > target {
                low = mid;
            } else {
                high = mid;
            }
        }
        0.5 * (low + high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_octaves_are_exact_bins_of_the_logarithm() {
        for &(c, expected) in &[
            (1.0f32, 0),
            (1.18, 0),
            (1.19, 1),
            (1.42, 2),
            (1.69, 3),
            (2.0, 4),
            (-0.5, -4),
            (1024.0, 40),
        ] {
            assert_eq!(quarter_octaves(c), Some(expected), "{c}");
        }
        assert_eq!(quarter_octaves(0.0), None);
    }

    #[test]
    fn the_estimate_falls_as_the_offset_grows_and_the_search_inverts_it() {
        let costs = CostTable::new([0.4, 0.3]);
        let mut model = SizeModel::empty();
        // Coefficients spread over 10 octaves above their step, in 20 bands.
        for k in 0..40 {
            let bin = (BIAS + k) as usize;
            model.levels[k as usize % 2][bin] += 16;
            model.span.0 = model.span.0.min(bin);
            if k >= 20 {
                model.add_band(k as usize % 2, bin, 16);
            }
        }
        let mut previous = f64::INFINITY;
        for o in -8..48 {
            let bits = model.bits(o as f64, &costs);
            assert!(bits <= previous, "offset {o}: {bits} after {previous}");
            previous = bits;
        }
        // Past every peak only the noise indices of the bands from the noise start remain.
        assert_eq!(model.bits(60.0, &costs), 10.0 * NOISE_BITS as f64);
        assert!(model.bits(0.0, &costs) > 1000.0);
        let target = 0.5 * model.bits(0.0, &costs);
        let offset = model.offset_for(target, 1.0, &costs);
        assert!(
            (model.bits(offset, &costs) / target - 1.0).abs() < 0.02,
            "{offset}"
        );
        // Twice the scale needs a coarser offset for the same target.
        assert!(model.offset_for(target, 2.0, &costs) > offset);
    }
}
