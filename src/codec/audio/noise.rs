//! Noise filling of the lossy audio codec: bands whose levels are all zero carry a coarse
//! noise level, and the decoder fills them with deterministic pseudo-random noise of that
//! energy instead of leaving a spectral hole.
//!
//! In (encoder): a band's coefficients and the step gains of a short frame's blocks; out:
//! a noise index (the step-index scale of `params`, 1.5 dB per unit: `step_size(index)` is
//! the noise's RMS per coefficient, before block gains), or 0 for "no noise". In (decoder):
//! the index, the block gains, and the frame, channel and band numbers that seed the
//! generator; out: the band's coefficients. The generator is a 32-bit xorshift on integers
//! seeded from the frame's index in its packet and a hash of the packet's data (not the
//! frame's index in the stream, which joining segments changes), the channel and the band,
//! and the band's noise is scaled to exactly the coded energy with plain `f32`
//! arithmetic, so every decoder and every thread count gives the same samples.

use super::frame::MAX_FILL;
use super::params::{effective_step, step_size, STEP_INDEX_CENTRE};

/// Bands starting below this frequency are never noise-filled by the encoder (their zeroed
/// content is mostly tonal, where noise is heard as such), and zero levels of coded bands
/// below it are never filled by the decoder. (2.5, 3 and 6 kHz measured within ±0.004
/// ViSQOL of 4 kHz at 48 and 64 kbit/s.)
pub const NOISE_START_HZ: u64 = 4_000;

/// The encoder fills zero levels of coded bands at this fraction of their RMS. Measured
/// on the corpus music (ViSQOL, 48 / 64 / 128 kbit/s): 0.7 scored 4.051 / 4.211 / 4.571,
/// 0.5 4.038 / 4.204 / 4.578, 1.0 4.017 / 4.195 at 48 / 64; a zeroed band's noise keeps its
/// whole energy (0.7 of its amplitude scored 0.03 to 0.07 lower at 48 and 64).
const FILL_AMPLITUDE: f32 = 0.7;

/// The first band of `edges` (coefficients of frames of `n` at `rate` Hz) the encoder may
/// fill with noise.
pub fn start_band(edges: &[usize], n: usize, rate: u32) -> usize {
    let first_bin = (NOISE_START_HZ * 2 * n as u64).div_ceil(rate as u64) as usize;
    edges
        .iter()
        .position(|&e| e >= first_bin)
        .unwrap_or(edges.len() - 1)
}

/// The noise index (fractional) that matches the energy of `coeffs`, a band of a frame
/// whose coefficient `k` belongs to short block `k mod gains.len()` with that block's step
/// gain (no gains: a long frame), or `None` for a silent band.
///
/// Every band with energy gets an index, however far below its masking threshold: a band
/// the model calls masked still shapes the spectrum's envelope, and leaving it empty is
/// heard (and scored) as lost bandwidth. Measured on the corpus music (ViSQOL, 48 / 64 / 96
/// / 128 kbit/s): 4.512 / 4.540 / 4.625 / 4.658 against 4.149 / 4.316 / 4.537 / 4.625 when
/// bands below their threshold stayed empty (and 4.109 / 4.074 on singularity_nebula /
/// pingus_goin_march at 64 kbit/s against 4.419 / 4.451 with the gate at a tenth of the
/// threshold); the high bands of quiet passages lost 10 to 18 dB of their energy.
pub fn noise_index(coeffs: &[f32], gains: &[i32]) -> Option<f32> {
    let energy: f32 = coeffs.iter().map(|c| c * c).sum();
    if coeffs.is_empty() || energy <= 0.0 {
        return None;
    }
    let normalized = if gains.is_empty() {
        energy
    } else {
        let mask = gains.len() - 1;
        let mut inverse = [0f32; 8];
        for (v, &g) in inverse.iter_mut().zip(gains) {
            *v = 1.0 / step_size(effective_step(STEP_INDEX_CENTRE as u8, g));
        }
        coeffs
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let u = c * inverse[k & mask];
                u * u
            })
            .sum()
    };
    let rms = (normalized / coeffs.len() as f32).sqrt();
    Some(STEP_INDEX_CENTRE as f32 + 4.0 * rms.log2())
}

/// The index a fractional noise index is coded as: 1 to 255 (0 means no noise).
pub fn coded_index(index: f32) -> u8 {
    index.round().clamp(1.0, 255.0) as u8
}

/// The fill level of the zero levels of a channel frame's coded bands from `start` on, 0
/// to [`MAX_FILL`]: zero levels are decoded as uniform noise of peak `fill / 8` steps, so
/// the level is the zeroed coefficients' RMS in steps over the RMS of a uniform variable
/// (`1 / √3`), in eighths, scaled by the fill amplitude. Band `b` has step index
/// `steps[b]`; coefficient `k` belongs to short block `k mod gains.len()` with that block's
/// gain (no gains: a long frame).
pub fn fill_level(
    coeffs: &[f32],
    q: &[i32],
    edges: &[usize],
    start: usize,
    steps: &[u8],
    gains: &[i32],
) -> u8 {
    let gains = if gains.is_empty() { &[0][..] } else { gains };
    let mask = gains.len() - 1;
    let mut inverse = [0f32; 8];
    let mut sum = 0f32;
    let mut count = 0usize;
    for b in start..edges.len() - 1 {
        let band = edges[b]..edges[b + 1];
        let levels = &q[band.clone()];
        if levels.iter().all(|&v| v == 0) {
            continue;
        }
        for (v, &g) in inverse.iter_mut().zip(gains) {
            *v = 1.0 / step_size(effective_step(steps[b], g));
        }
        // Without a branch: adding 0 for the coded levels leaves the sum as it was.
        for (k, (&c, &level)) in coeffs[band].iter().zip(levels).enumerate() {
            let u = c * inverse[k & mask];
            let zero = level == 0;
            sum += if zero { u * u } else { 0.0 };
            count += zero as usize;
        }
    }
    if count == 0 {
        return 0;
    }
    let rms = (sum / count as f32).sqrt();
    (8.0 * FILL_AMPLITUDE * rms * 3f32.sqrt())
        .round()
        .clamp(0.0, MAX_FILL as f32) as u8
}

/// Fills the zero levels (`q[k] == 0`) of a coded band with uniform noise of peak
/// `fill / 8` of the coefficient's step, `step[k & mask]`.
#[allow(clippy::too_many_arguments)]
pub fn fill_zeros(
    out: &mut [f32],
    q: &[i32],
    step: &[f32],
    mask: usize,
    fill: u8,
    frame: u64,
    channel: usize,
    band: usize,
) {
    let mut x = seed(frame, channel, band);
    let scale = fill as f32 * (1.0 / 8.0) * (1.0 / 2_147_483_648.0);
    for (k, (v, &level)) in out.iter_mut().zip(q).enumerate() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if level == 0 {
            *v = (x as i32) as f32 * scale * step[k & mask];
        }
    }
}

/// The high 32 bits of the frame number that seeds the noise of a packet's frames (the
/// low 32 bits are the frame's index in the packet): a hash of the first eight bytes (or
/// fewer) of the packet's range-coded data, which joining segments (`quanta concat`)
/// leaves unchanged while it renumbers the packet's frames.
pub fn packet_seed(body: &[u8]) -> u64 {
    let h = body
        .iter()
        .take(8)
        .fold(0u32, |h, &b| h.wrapping_mul(31).wrapping_add(b as u32));
    (h as u64) << 32
}

/// The generator's state for band `band` of channel `channel` in the frame at `frame` of
/// the stream; never 0.
fn seed(frame: u64, channel: usize, band: usize) -> u32 {
    let mut x = (frame as u32)
        .wrapping_mul(0x9e37_79b9)
        .wrapping_add((frame >> 32) as u32)
        ^ (channel as u32).wrapping_mul(0x85eb_ca6b)
        ^ (band as u32).wrapping_mul(0xc2b2_ae35);
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    if x == 0 {
        0x1234_5678
    } else {
        x
    }
}

/// Fills `out` (a band) with noise whose mean square per coefficient is `step_size(index)²`
/// times the square of the coefficient's block gain step (`gains` as for [`noise_index`]).
pub fn fill(out: &mut [f32], index: u8, gains: &[i32], frame: u64, channel: usize, band: usize) {
    let mut x = seed(frame, channel, band);
    let mut energy = 0f32;
    for v in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let r = (x as i32) as f32 * (1.0 / 2_147_483_648.0);
        *v = r;
        energy += r * r;
    }
    if energy <= 0.0 {
        out.fill(0.0);
        return;
    }
    let scale = (out.len() as f32 / energy).sqrt();
    let mask = gains.len().max(1) - 1;
    for (k, v) in out.iter_mut().enumerate() {
        let gain = gains.get(k & mask).copied().unwrap_or(0);
        *v *= scale * step_size(effective_step(index, gain));
    }
}

/// The step of index [`STEP_INDEX_CENTRE`] under each short block's gain (`gains`, eight),
/// or 1 for a long frame (`gains` empty): the unit a band's energy index is measured in,
/// block by block.
pub fn block_units(gains: &[i32]) -> [f32; 8] {
    let mut unit = [1f32; 8];
    for (u, &g) in unit.iter_mut().zip(gains) {
        *u = step_size(effective_step(STEP_INDEX_CENTRE as u8, g));
    }
    unit
}

/// The energy ratio of half an energy index: the cell of index `e` holds the energies
/// within a factor `2^(1/4)` of `e`'s (an index unit is `2^(1/4)` in amplitude).
const HALF_INDEX_ENERGY: f32 = 1.189_207_1;

/// Brings a decoded band `out` (coefficient `k` in block `k & mask`, whose unit is
/// `unit[k & mask]`, see [`block_units`]) into the energy cell of the index `index` (the
/// scale of [`noise_index`]): with `e = Σ (out[k] / unit[k & mask])²` summed in order in
/// `f32`, `c = W · step_size(index)²` (`W` the band's width), `lo = c / 2^(1/4)` and
/// `hi = c · 2^(1/4)`, every coefficient is multiplied by `√(lo / e)` when `e < lo`, by
/// `√(hi / e)` when `e > hi`, and left as it is otherwise (and when `e = 0`): a band whose
/// levels kept its energy within the index's rounding is not touched.
pub fn match_energy(out: &mut [f32], index: u8, unit: &[f32; 8], mask: usize) {
    let mut energy = 0f32;
    for (k, v) in out.iter().enumerate() {
        let u = v / unit[k & mask];
        energy += u * u;
    }
    if energy <= 0.0 || !energy.is_finite() {
        return;
    }
    let step = step_size(index);
    let centre = out.len() as f32 * step * step;
    let target = if energy < centre / HALF_INDEX_ENERGY {
        centre / HALF_INDEX_ENERGY
    } else if energy > centre * HALF_INDEX_ENERGY {
        centre * HALF_INDEX_ENERGY
    } else {
        return;
    };
    let scale = (target / energy).sqrt();
    for v in out.iter_mut() {
        *v *= scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_has_the_coded_energy_and_is_deterministic() {
        let mut a = vec![0f32; 32];
        fill(&mut a, 120, &[], 7, 1, 30);
        let rms = (a.iter().map(|v| v * v).sum::<f32>() / 32.0).sqrt();
        assert!(
            (rms - step_size(120)).abs() < 1e-4 * step_size(120),
            "{rms}"
        );
        let mut b = vec![0f32; 32];
        fill(&mut b, 120, &[], 7, 1, 30);
        assert_eq!(a, b);
        // Another frame, channel or band gives other noise.
        for (f, c, band) in [(8, 1, 30), (7, 0, 30), (7, 1, 31), (7 + (1 << 32), 1, 30)] {
            fill(&mut b, 120, &[], f, c, band);
            assert_ne!(a, b, "{f} {c} {band}");
        }
    }

    #[test]
    fn block_gains_scale_the_noise_of_their_blocks() {
        let mut a = vec![0f32; 64];
        let gains = [0, -8, 0, 0, 0, 0, 0, 0];
        fill(&mut a, 128, &gains, 3, 0, 5);
        let block = |b: usize| a.iter().skip(b).step_by(8).map(|v| v * v).sum::<f32>();
        // Block 1 is two octaves finer: about 1/16 of the energy of the others (random).
        assert!(block(1) < 0.3 * block(0) && block(1) < 0.3 * block(2));
    }

    #[test]
    fn index_matches_the_energy_it_codes() {
        let coeffs: Vec<f32> = (0..16)
            .map(|k| if k % 2 == 0 { 0.5 } else { -0.5 })
            .collect();
        let index = noise_index(&coeffs, &[]).unwrap();
        let mut out = vec![0f32; 16];
        fill(&mut out, coded_index(index), &[], 0, 0, 0);
        let ratio =
            out.iter().map(|v| v * v).sum::<f32>() / coeffs.iter().map(|v| v * v).sum::<f32>();
        // The same energy within half an index step (0.75 dB).
        assert!(ratio > 1.0 / 1.19 && ratio < 1.19, "{ratio}");
        // A silent band gets no noise, a faint one its own energy.
        assert_eq!(noise_index(&[0.0; 4], &[]), None);
        assert_eq!(noise_index(&[], &[]), None);
        let faint = noise_index(&[1e-4; 16], &[]).unwrap();
        assert!((faint - (STEP_INDEX_CENTRE as f32 + 4.0 * 1e-4f32.log2())).abs() < 1e-3);
    }

    #[test]
    fn zero_levels_of_coded_bands_are_filled_within_their_cell() {
        let q = [0, 3, 0, 0, -1, 0, 0, 0];
        let step = [2.0f32, 0.5, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0];
        let mut out = [9f32; 8];
        fill_zeros(&mut out, &q, &step, 7, 4, 11, 0, 2);
        for k in 0..8 {
            if q[k] == 0 {
                // Peak fill / 8 = half a step.
                assert!(
                    out[k].abs() <= 0.5 * step[k] && out[k] != 0.0,
                    "{k}: {}",
                    out[k]
                );
            } else {
                assert_eq!(out[k], 9.0);
            }
        }
        let mut again = [9f32; 8];
        fill_zeros(&mut again, &q, &step, 7, 4, 11, 0, 2);
        assert_eq!(out, again);
        // The encoder's level: zeroed coefficients of RMS a quarter step (coded band 1 of
        // these edges) give round(8 · 0.7 · 0.25 · √3) = 2; all-zero band 0 does not count.
        let edges = [0, 4, 8];
        let coeffs = [5.0f32, 5.0, 5.0, 5.0, 0.25, -0.25, 3.0, 0.25];
        let levels = [0, 0, 0, 0, 0, 0, 3, 0];
        assert_eq!(fill_level(&coeffs, &levels, &edges, 0, &[128, 128], &[]), 2);
        assert_eq!(fill_level(&coeffs, &levels, &edges, 2, &[128, 128], &[]), 0);
        // A step twice as coarse halves the RMS in steps.
        assert_eq!(fill_level(&coeffs, &levels, &edges, 0, &[0, 132], &[]), 1);
    }

    #[test]
    fn a_band_is_brought_into_the_energy_cell_of_its_index() {
        let energy = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>();
        // A long band of 16 coefficients and its index's cell.
        let source: Vec<f32> = (0..16).map(|k| ((k * 5 % 7) as f32 - 3.0) * 0.1).collect();
        let index = coded_index(noise_index(&source, &[]).unwrap());
        let centre = 16.0 * step_size(index) * step_size(index);
        let (lo, hi) = (centre / HALF_INDEX_ENERGY, centre * HALF_INDEX_ENERGY);
        assert!(energy(&source) >= lo && energy(&source) <= hi);
        // Levels that lost a third of the energy: raised to the cell's lower edge, the shape
        // kept (every coefficient scaled alike).
        let mut decoded: Vec<f32> = source.iter().map(|v| v * 0.8).collect();
        decoded[3] = 0.0;
        match_energy(&mut decoded, index, &block_units(&[]), 0);
        assert!(
            (energy(&decoded) / lo - 1.0).abs() < 1e-4,
            "{}",
            energy(&decoded)
        );
        assert!((decoded[1] / decoded[4] - source[1] / source[4]).abs() < 1e-5);
        // Too loud: lowered to the upper edge.
        let mut loud: Vec<f32> = source.iter().map(|v| v * 2.0).collect();
        match_energy(&mut loud, index, &block_units(&[]), 0);
        assert!((energy(&loud) / hi - 1.0).abs() < 1e-4, "{}", energy(&loud));
        // Within the cell (1.1 times its centre): left exactly as it is.
        let scale = (1.1 * centre / energy(&source)).sqrt();
        let mut inside: Vec<f32> = source.iter().map(|v| v * scale).collect();
        let before = inside.clone();
        match_energy(&mut inside, index, &block_units(&[]), 0);
        assert_eq!(inside, before);
        // Short blocks: the energy counts each block in its own gain's unit, as the
        // encoder's noise index does, so a block two octaves finer keeps its share.
        let gains = [0, -8, 0, 0, 0, 0, 0, 0];
        let band: Vec<f32> = (0..32)
            .map(|k| if k % 8 == 1 { 0.025 } else { 0.1 })
            .collect();
        let index = coded_index(noise_index(&band, &gains).unwrap());
        let mut decoded: Vec<f32> = band.iter().map(|v| v * 2.0).collect();
        match_energy(&mut decoded, index, &block_units(&gains), 7);
        let ratio = decoded[0] / band[0];
        assert!(ratio > 1.0 && ratio < 1.2, "{ratio}");
        for (d, s) in decoded.iter().zip(&band) {
            assert!((d / s - ratio).abs() < 1e-5, "{d} {s}");
        }
        // A silent band stays silent and nothing becomes NaN.
        let mut zeros = [0f32; 8];
        match_energy(&mut zeros, 200, &block_units(&[]), 0);
        assert_eq!(zeros, [0.0; 8]);
    }

    #[test]
    fn start_band_is_the_first_at_or_above_the_start_frequency() {
        let edges = [0, 100, 170, 171, 400, 1024];
        // 4 kHz at 48 kHz with 1024 coefficients: bin 171 (170.7 rounded up).
        assert_eq!(start_band(&edges, 1024, 48_000), 3);
        assert_eq!(start_band(&edges, 1024, 8_000), 5);
    }
}
