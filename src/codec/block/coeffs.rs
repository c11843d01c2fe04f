//! The coefficient syntax of the block coder: how the quantized levels of one n×n
//! transform block become binary decisions. Writer and reader side by side.
//!
//! Per block: a "coded" flag (any nonzero level); then the end of block, the position in
//! zigzag order just past the last nonzero level, as a size class (a truncated unary code
//! of its bit length) and the bits below its leading one (the first with a model, the
//! rest raw); then, from the last nonzero level back to the first position, each level:
//! a significance flag (implied for the last), "greater than 1" and "greater than 2"
//! flags and an adaptive Exp-Golomb remainder, and a raw sign bit.
//!
//! Contexts come from a template of the five neighbours below and to the right of a
//! coefficient in frequency (already coded, since coding runs from high to low
//! frequencies): the sum of their magnitudes capped at 3 picks the significance context
//! together with the coefficient's diagonal band and the block size; the capped sum of
//! the three nearest picks the "greater than" contexts. Luma and chroma have separate
//! models.

use super::dct::MAX_SIZE;
use crate::entropy::{
    exp_golomb_cost, get_exp_golomb, put_exp_golomb, BitModel, RangeDecoder, SymbolWriter,
    COST_SCALE,
};
use std::sync::OnceLock;

const SIZES: usize = 4;
const POSITION_CLASSES: usize = 5;
const TEMPLATE_CONTEXTS: usize = 5;
const MAGNITUDE_CLASSES: usize = 3;
const MAGNITUDE_CONTEXTS: usize = 7;
const EOB_CLASSES: usize = 11;
/// Largest level magnitude the reader accepts.
pub const MAX_LEVEL: i32 = 1 << 20;

/// Adaptive models for the coefficients of one kind of plane.
#[derive(Clone)]
pub struct CoeffModels {
    coded: [[BitModel; 3]; SIZES],
    eob_class: [[BitModel; EOB_CLASSES]; SIZES],
    eob_extra: [[BitModel; EOB_CLASSES]; SIZES],
    significant: [[[BitModel; TEMPLATE_CONTEXTS]; POSITION_CLASSES]; SIZES],
    greater1: [[BitModel; MAGNITUDE_CONTEXTS]; MAGNITUDE_CLASSES],
    greater2: [[BitModel; MAGNITUDE_CONTEXTS]; MAGNITUDE_CLASSES],
    rest_exponent: [BitModel; 16],
    rest_mantissa: [BitModel; 16],
}

impl CoeffModels {
    pub fn new() -> CoeffModels {
        CoeffModels {
            coded: [[BitModel::new(); 3]; SIZES],
            eob_class: [[BitModel::new(); EOB_CLASSES]; SIZES],
            eob_extra: [[BitModel::new(); EOB_CLASSES]; SIZES],
            significant: [[[BitModel::new(); TEMPLATE_CONTEXTS]; POSITION_CLASSES]; SIZES],
            greater1: [[BitModel::new(); MAGNITUDE_CONTEXTS]; MAGNITUDE_CLASSES],
            greater2: [[BitModel::new(); MAGNITUDE_CONTEXTS]; MAGNITUDE_CLASSES],
            rest_exponent: [BitModel::new(); 16],
            rest_mantissa: [BitModel::new(); 16],
        }
    }
}

impl Default for CoeffModels {
    fn default() -> Self {
        CoeffModels::new()
    }
}

/// Zigzag order of an n×n block: position indices `n·u + v`.
pub fn scan(n: usize) -> &'static [u16] {
    static SCANS: OnceLock<[Vec<u16>; SIZES]> = OnceLock::new();
    let scans = SCANS.get_or_init(|| [4, 8, 16, 32].map(zigzag));
    &scans[n.trailing_zeros() as usize - 2]
}

/// The inverse of [`scan`]: the scan position of each position index `n·u + v`, plus one.
fn scan_rank(n: usize) -> &'static [u16] {
    static RANKS: OnceLock<[Vec<u16>; SIZES]> = OnceLock::new();
    let ranks = RANKS.get_or_init(|| {
        [4, 8, 16, 32].map(|n| {
            let mut rank = vec![0u16; n * n];
            for (i, &p) in scan(n).iter().enumerate() {
                rank[p as usize] = i as u16 + 1;
            }
            rank
        })
    });
    &ranks[n.trailing_zeros() as usize - 2]
}

fn zigzag(n: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(n * n);
    for d in 0..2 * n - 1 {
        let lo = d.saturating_sub(n - 1);
        let hi = d.min(n - 1);
        for i in lo..=hi {
            // Alternate direction along the anti-diagonals.
            let u = if d % 2 == 0 { hi - (i - lo) } else { i };
            let v = d - u;
            out.push((u * n + v) as u16);
        }
    }
    out
}

fn size_index(n: usize) -> usize {
    n.trailing_zeros() as usize - 2
}

fn position_class(u: usize, v: usize) -> usize {
    match u + v {
        0 => 0,
        1..=2 => 1,
        3..=5 => 2,
        6..=11 => 3,
        _ => 4,
    }
}

/// Capped magnitudes of the levels coded so far, with two guard rows and columns.
struct Template {
    stride: usize,
    mag: [u8; (MAX_SIZE + 2) * (MAX_SIZE + 2)],
}

impl Template {
    fn new(n: usize) -> Template {
        Template {
            stride: n + 2,
            mag: [0; (MAX_SIZE + 2) * (MAX_SIZE + 2)],
        }
    }

    #[inline]
    fn set(&mut self, u: usize, v: usize, magnitude: u32) {
        self.mag[u * self.stride + v] = magnitude.min(15) as u8;
    }

    /// (significance context, "greater than" context) of position (u, v).
    #[inline]
    fn contexts(&self, u: usize, v: usize) -> (usize, usize) {
        let s = self.stride;
        let at = |du: usize, dv: usize| self.mag[(u + du) * s + v + dv] as usize;
        let near = at(0, 1) + at(1, 0) + at(1, 1);
        let far = at(0, 2) + at(2, 0);
        let capped = at(0, 1).min(3) + at(1, 0).min(3) + at(1, 1).min(3) + far.min(6);
        (
            ((capped + 1) >> 1).min(TEMPLATE_CONTEXTS - 1),
            ((near + 1) >> 1).min(MAGNITUDE_CONTEXTS - 1),
        )
    }
}

fn magnitude_class(u: usize, v: usize) -> usize {
    match u + v {
        0 => 0,
        1..=2 => 1,
        _ => 2,
    }
}

/// Writes the levels of an n×n block (row-major). `coded_context` (0..3) picks the model
/// of the "coded" flag.
pub fn write_block<W: SymbolWriter>(
    w: &mut W,
    models: &mut CoeffModels,
    n: usize,
    levels: &[i32],
    coded_context: usize,
) {
    let size = size_index(n);
    let order = scan(n);
    let eob = order
        .iter()
        .rposition(|&p| levels[p as usize] != 0)
        .map_or(0, |i| i + 1);
    w.put_bit(&mut models.coded[size][coded_context], eob > 0);
    if eob == 0 {
        return;
    }
    // End of block: class = bit length of eob, truncated unary; then the bits below.
    let class = 32 - (eob as u32).leading_zeros() as usize;
    let max_class = 2 * size + 5;
    for c in 1..max_class {
        w.put_bit(&mut models.eob_class[size][c - 1], class > c);
        if class == c {
            break;
        }
    }
    if class > 1 {
        let below = class - 1;
        let top = (eob >> (below - 1)) & 1 == 1;
        w.put_bit(&mut models.eob_extra[size][class - 1], top);
        if below > 1 {
            w.put_bypass((eob & ((1 << (below - 1)) - 1)) as u32, below as u32 - 1);
        }
    }
    let mut template = Template::new(n);
    for i in (0..eob).rev() {
        let p = order[i] as usize;
        let (u, v) = (p / n, p % n);
        let level = levels[p];
        let magnitude = level.unsigned_abs();
        let (sig_ctx, mag_ctx) = template.contexts(u, v);
        if i + 1 != eob {
            w.put_bit(
                &mut models.significant[size][position_class(u, v)][sig_ctx],
                magnitude != 0,
            );
            if magnitude == 0 {
                continue;
            }
        }
        let class = magnitude_class(u, v);
        w.put_bit(&mut models.greater1[class][mag_ctx], magnitude > 1);
        if magnitude > 1 {
            w.put_bit(&mut models.greater2[class][mag_ctx], magnitude > 2);
            if magnitude > 2 {
                put_exp_golomb(
                    w,
                    &mut models.rest_exponent,
                    &mut models.rest_mantissa,
                    magnitude - 3,
                );
            }
        }
        w.put_bypass((level < 0) as u32, 1);
        template.set(u, v, magnitude);
    }
}

/// Reads the levels of an n×n block into `levels` (row-major, all n·n written). Returns
/// whether the block has any nonzero level, or `None` for impossible data.
pub fn read_block(
    r: &mut RangeDecoder<'_>,
    models: &mut CoeffModels,
    n: usize,
    levels: &mut [i32],
    coded_context: usize,
) -> Option<bool> {
    levels[..n * n].fill(0);
    let size = size_index(n);
    if !r.get_bit(&mut models.coded[size][coded_context]) {
        return Some(false);
    }
    let max_class = 2 * size + 5;
    let mut class = 1;
    while class < max_class && r.get_bit(&mut models.eob_class[size][class - 1]) {
        class += 1;
    }
    let mut eob = 1usize;
    if class > 1 {
        let below = class - 1;
        let top = r.get_bit(&mut models.eob_extra[size][class - 1]) as usize;
        eob = (2 | top) << (below - 1);
        if below > 1 {
            eob |= r.get_bypass(below as u32 - 1) as usize;
        }
    }
    if eob > n * n {
        return None;
    }
    let order = scan(n);
    let mut template = Template::new(n);
    for i in (0..eob).rev() {
        let p = order[i] as usize;
        let (u, v) = (p / n, p % n);
        let (sig_ctx, mag_ctx) = template.contexts(u, v);
        if i + 1 != eob && !r.get_bit(&mut models.significant[size][position_class(u, v)][sig_ctx])
        {
            continue;
        }
        let class = magnitude_class(u, v);
        let mut magnitude = 1u32;
        if r.get_bit(&mut models.greater1[class][mag_ctx]) {
            magnitude = 2;
            if r.get_bit(&mut models.greater2[class][mag_ctx]) {
                let rest = get_exp_golomb(r, &mut models.rest_exponent, &mut models.rest_mantissa)?;
                magnitude = rest.checked_add(3)?;
                if magnitude > MAX_LEVEL as u32 {
                    return None;
                }
            }
        }
        let negative = r.get_bypass(1) == 1;
        levels[p] = if negative {
            -(magnitude as i32)
        } else {
            magnitude as i32
        };
        template.set(u, v, magnitude);
    }
    Some(true)
}

/// Cost in 1/COST_SCALE bits of the decisions that code `magnitude` (≥ 1) after its
/// significance, sign included.
fn magnitude_cost(models: &CoeffModels, class: usize, mag_ctx: usize, magnitude: u32) -> u32 {
    let mut cost = COST_SCALE; // the sign
    cost += models.greater1[class][mag_ctx].cost(magnitude > 1);
    if magnitude > 1 {
        cost += models.greater2[class][mag_ctx].cost(magnitude > 2);
        if magnitude > 2 {
            cost += exp_golomb_cost(&models.rest_exponent, &models.rest_mantissa, magnitude - 3);
        }
    }
    cost
}

/// Cost of the end-of-block position `eob` (≥ 1) of an n×n block.
fn eob_cost(models: &CoeffModels, size: usize, eob: usize) -> u32 {
    let class = 32 - (eob as u32).leading_zeros() as usize;
    let max_class = 2 * size + 5;
    let mut cost = 0;
    for c in 1..max_class {
        cost += models.eob_class[size][c - 1].cost(class > c);
        if class == c {
            break;
        }
    }
    if class > 1 {
        let below = class - 1;
        cost += models.eob_extra[size][class - 1].cost((eob >> (below - 1)) & 1 == 1);
        cost += (below as u32 - 1) * COST_SCALE;
    }
    cost
}

/// Rate-distortion optimized quantization of one block: starting from the nearest
/// levels of `coeffs` (orthonormal) at `steps` (coefficient units), each level may drop
/// by one or to zero, and the block may end earlier, whichever lowers squared error +
/// `lambda` × bits as priced by `models` (levels are decided from the highest frequency
/// down, each with the contexts of the levels already decided). Writes `levels`.
pub fn optimize_levels(
    models: &CoeffModels,
    n: usize,
    coeffs: &[f32],
    steps: &[f32],
    lambda: f32,
    coded_context: usize,
    levels: &mut [i32],
) {
    let count = n * n;
    levels[..count].fill(0);
    // The last scan position whose nearest level is nonzero; nothing after it is coded.
    // Found in one pass in raster order (which vectorizes): a nearest level
    // (|c| / step + 0.5) truncated is nonzero exactly when |c| / step + 0.5 ≥ 1.
    let rank = &scan_rank(n)[..count];
    let mut end = 0u16;
    for ((&c, &step), &r) in coeffs[..count].iter().zip(&steps[..count]).zip(rank) {
        let nonzero = c.abs() / step + 0.5 >= 1.0;
        end = end.max(if nonzero { r } else { 0 });
    }
    if end == 0 {
        return;
    }
    let last = end as usize - 1;
    let args = (models, n, coeffs, steps, lambda, coded_context, last);
    // Per-position arrays sized for the positions up to `last`, so that a sparse block
    // clears little memory.
    match last + 1 {
        0..=16 => optimize_sized::<16>(args, levels),
        17..=64 => optimize_sized::<64>(args, levels),
        65..=256 => optimize_sized::<256>(args, levels),
        _ => optimize_sized::<{ MAX_SIZE * MAX_SIZE }>(args, levels),
    }
}

/// [`optimize_levels`] of a block whose last nonzero nearest level is at scan position
/// `last`, with per-position arrays of `C` > `last` entries.
fn optimize_sized<const C: usize>(
    (models, n, coeffs, steps, lambda, coded_context, last): (
        &CoeffModels,
        usize,
        &[f32],
        &[f32],
        f32,
        usize,
        usize,
    ),
    levels: &mut [i32],
) {
    let size = size_index(n);
    let order = scan(n);
    let lambda_unit = lambda / COST_SCALE as f32;
    let error = |i: usize, level: u32| {
        let p = order[i] as usize;
        let d = coeffs[p].abs() - level as f32 * steps[p];
        d * d
    };
    // Per scan position: the chosen magnitude, the cost of coding it with the block ending
    // at or after it (distortion + rate, significance included), and without its
    // significance flag (when it is the last).
    let mut chosen = [0u32; C];
    let mut cost_here = [0f32; C];
    let mut cost_as_last = [0f32; C];
    let mut level_as_last = [0u32; C];
    let mut template = Template::new(n);
    for i in (0..=last).rev() {
        let p = order[i] as usize;
        let (u, v) = (p / n, p % n);
        let (sig_ctx, mag_ctx) = template.contexts(u, v);
        let class = magnitude_class(u, v);
        let sig = &models.significant[size][position_class(u, v)][sig_ctx];
        let q = (coeffs[p].abs() / steps[p] + 0.5) as u32;
        let mut best = (error(i, 0) + lambda_unit * sig.cost(false) as f32, 0u32);
        let mut best_last = (f32::INFINITY, 0u32);
        for level in [q.saturating_sub(1), q] {
            if level == 0 {
                continue;
            }
            let d = error(i, level);
            let rate = magnitude_cost(models, class, mag_ctx, level) as f32;
            let with_flag = d + lambda_unit * (rate + sig.cost(true) as f32);
            if with_flag < best.0 {
                best = (with_flag, level);
            }
            let without = d + lambda_unit * rate;
            if without < best_last.0 {
                best_last = (without, level);
            }
        }
        // The last position keeps a nonzero level; it may still be cut by the end search.
        let pick = if i == last { best_last } else { best };
        chosen[i] = pick.1;
        cost_here[i] = best.0;
        cost_as_last[i] = best_last.0;
        level_as_last[i] = best_last.1;
        template.set(u, v, pick.1);
    }
    // End of block: the position k minimising Σ_{i<k} cost_here + cost_as_last[k] +
    // Σ_{i>k} error(i, 0) + eob bits, or no coefficients at all.
    let coded = &models.coded[size][coded_context];
    let mut zero_tail = 0f32;
    // prefix[k] = Σ_{i<k} cost_here[i], for k up to `last` (the only ones read).
    let mut prefix = [0f32; C];
    for i in 1..=last {
        prefix[i] = prefix[i - 1] + cost_here[i - 1];
    }
    let mut best_end = (
        (0..=last).map(|i| error(i, 0)).sum::<f32>() + lambda_unit * coded.cost(false) as f32,
        None,
    );
    for k in (0..=last).rev() {
        if cost_as_last[k].is_finite() {
            let total = prefix[k]
                + cost_as_last[k]
                + zero_tail
                + lambda_unit * (coded.cost(true) + eob_cost(models, size, k + 1)) as f32;
            if total < best_end.0 {
                best_end = (total, Some(k));
            }
        }
        zero_tail += error(k, 0);
    }
    let Some(end) = best_end.1 else {
        return;
    };
    for i in 0..=end {
        let p = order[i] as usize;
        let level = if i == end {
            level_as_last[i]
        } else {
            chosen[i]
        };
        levels[p] = if coeffs[p] < 0.0 {
            -(level as i32)
        } else {
            level as i32
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::RangeEncoder;

    #[test]
    fn zigzag_visits_every_position_once() {
        for n in [4, 8, 16, 32] {
            let mut seen = vec![false; n * n];
            for &p in scan(n) {
                assert!(!seen[p as usize]);
                seen[p as usize] = true;
            }
            assert!(seen.iter().all(|&s| s));
            assert_eq!(scan(n)[1], 1);
            assert_eq!(scan(n)[2], n as u16);
        }
    }

    #[test]
    fn blocks_of_every_size_round_trip() {
        let mut seed = 11u32;
        let mut blocks = Vec::new();
        for n in [4, 8, 16, 32] {
            for density in [0, 1, 3, 10] {
                let levels: Vec<i32> = (0..n * n)
                    .map(|i| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        let keep = density > 0 && (seed % 20) < density && i < n * n / 2;
                        if keep {
                            (seed >> 8) as i32 % 41 - 20
                        } else {
                            0
                        }
                    })
                    .collect();
                blocks.push((n, levels));
            }
            let mut one = vec![0; n * n];
            one[n * n - 1] = -100_000;
            blocks.push((n, one));
        }
        let mut models = CoeffModels::new();
        let mut encoder = RangeEncoder::new();
        for (n, levels) in &blocks {
            write_block(&mut encoder, &mut models, *n, levels, 1);
        }
        let bytes = encoder.finish();
        let mut models = CoeffModels::new();
        let mut decoder = RangeDecoder::new(&bytes);
        for (n, levels) in &blocks {
            let mut out = vec![7; n * n];
            let coded = read_block(&mut decoder, &mut models, *n, &mut out, 1).unwrap();
            assert_eq!(&out, levels);
            assert_eq!(coded, levels.iter().any(|&l| l != 0));
        }
    }
}
