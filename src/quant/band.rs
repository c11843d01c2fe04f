//! Band quantization on a scale of step indices, with optional per-block step gains for
//! bands whose coefficients interleave several transform blocks (the audio codec's short
//! frames).
//!
//! In: a band's float coefficients and the peak magnitude of each interleaved block
//! ([`band_peaks`], once per band however many indices are tried), a step index `s` (0 to
//! 255), the gain of each interleaved block (none for a band of one block), the rounding
//! offset of the dead zone,
//! and the codec's map from an index and a gain to a step size. Out: integer levels, and
//! the index actually used: `s` is raised until every level stays below [`MAX_BAND_LEVEL`]
//! (a finer step than that buys nothing at any bitrate). Levels are `⌊|c| / step +
//! rounding⌋` with the coefficient's sign: `rounding` 0.5 is plain rounding, less widens
//! the dead zone around zero.

/// Levels stay below this magnitude (2^15).
pub const MAX_BAND_LEVEL: f32 = 32_768.0;

/// Most interleaved blocks in one band.
pub const MAX_BLOCKS: usize = 8;

/// The largest magnitude of each of the `blocks` interleaved blocks of a band (coefficient
/// `i` in block `i mod blocks`, a power of two, at most [`MAX_BLOCKS`]); zero for the
/// blocks beyond.
pub fn band_peaks(coeffs: &[f32], blocks: usize) -> [f32; MAX_BLOCKS] {
    assert!(
        blocks.is_power_of_two() && blocks <= MAX_BLOCKS,
        "{blocks} blocks"
    );
    let mut peaks = [0f32; MAX_BLOCKS];
    if blocks == 1 {
        peaks[0] = coeffs.iter().fold(0f32, |p, c| p.max(c.abs()));
        return peaks;
    }
    let mask = blocks - 1;
    for (i, c) in coeffs.iter().enumerate() {
        let p = &mut peaks[i & mask];
        *p = p.max(c.abs());
    }
    peaks
}

/// Quantizes one band at step index `s` into `q`; returns the index used (`s`, raised as
/// needed). With `gains` empty the band is one block with gain 0; otherwise coefficient `i`
/// belongs to block `i mod gains.len()` (a power of two, at most [`MAX_BLOCKS`]) and is
/// quantized with the step `step(index, gains[block])`. `peaks` are the band's block peaks
/// ([`band_peaks`] of the same coefficients and block count), computed once for a band
/// quantized at several indices.
pub fn quantize_band(
    coeffs: &[f32],
    mut s: u8,
    gains: &[i32],
    peaks: &[f32; MAX_BLOCKS],
    rounding: f32,
    step: impl Fn(u8, i32) -> f32,
    q: &mut [i32],
) -> u8 {
    let gains = if gains.is_empty() { &[0][..] } else { gains };
    let blocks = gains.len();
    assert!(
        blocks.is_power_of_two() && blocks <= MAX_BLOCKS,
        "{blocks} blocks"
    );
    let mask = blocks - 1;
    let too_fine = |s: u8| (0..blocks).any(|b| peaks[b] / step(s, gains[b]) >= MAX_BAND_LEVEL);
    while s < 255 && too_fine(s) {
        s += 1;
    }
    let mut inverse = [0f32; MAX_BLOCKS];
    for (v, &g) in inverse.iter_mut().zip(gains) {
        *v = 1.0 / step(s, g);
    }
    for (i, (level, &c)) in q.iter_mut().zip(coeffs).enumerate() {
        let v = c * inverse[i & mask];
        let m = (v.abs() + rounding) as i32;
        *level = if v < 0.0 { -m } else { m };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps of a quarter-octave scale centred on index 128, as the audio codec's.
    fn step(s: u8, gain: i32) -> f32 {
        2f32.powf(((s as i32 + gain).clamp(0, 255) - 128) as f32 / 4.0)
    }

    #[test]
    fn one_block_rounds_with_the_dead_zone() {
        let coeffs = [2.9f32, -2.9, 0.7, -0.2, 5.0, 0.0];
        let mut q = [0i32; 6];
        // Index 132: step 2.
        assert_eq!(
            quantize_band(
                &coeffs,
                132,
                &[],
                &band_peaks(&coeffs, 1),
                0.5,
                step,
                &mut q
            ),
            132
        );
        assert_eq!(q, [1, -1, 0, 0, 3, 0]);
        assert_eq!(
            quantize_band(
                &coeffs,
                132,
                &[],
                &band_peaks(&coeffs, 1),
                0.2,
                step,
                &mut q
            ),
            132
        );
        assert_eq!(q, [1, -1, 0, 0, 2, 0]);
    }

    #[test]
    fn interleaved_blocks_use_their_own_gains() {
        // Two blocks: even coefficients with gain 0 (step 2), odd ones with -4 (step 1).
        let coeffs = [3.0f32, 3.0, -5.0, -5.0];
        let mut q = [0i32; 4];
        assert_eq!(band_peaks(&coeffs, 2)[..3], [5.0, 5.0, 0.0]);
        assert_eq!(band_peaks(&coeffs, 1)[..2], [5.0, 0.0]);
        assert_eq!(
            quantize_band(
                &coeffs,
                132,
                &[0, -4],
                &band_peaks(&coeffs, 2),
                0.5,
                step,
                &mut q
            ),
            132
        );
        assert_eq!(q, [2, 3, -3, -5]);
    }

    #[test]
    fn too_fine_a_step_is_raised_until_levels_fit() {
        // Peak 1000 at index 0 (step 2^-32) would overflow: the index rises to the first
        // whose levels stay below 2^15, and no further.
        let coeffs = [1000.0f32, -3.0];
        let mut q = [0i32; 2];
        let s = quantize_band(&coeffs, 0, &[], &band_peaks(&coeffs, 1), 0.5, step, &mut q);
        assert!(1000.0 / step(s, 0) < MAX_BAND_LEVEL);
        assert!(1000.0 / step(s - 1, 0) >= MAX_BAND_LEVEL);
        assert!(q[0] < MAX_BAND_LEVEL as i32 && q[0] > MAX_BAND_LEVEL as i32 / 2);
        // A block whose gain makes its step finer decides the rise.
        let s2 = quantize_band(
            &coeffs,
            0,
            &[8, -8],
            &band_peaks(&coeffs, 2),
            0.5,
            step,
            &mut q,
        );
        assert!(1000.0 / step(s2, 8) < MAX_BAND_LEVEL);
        assert!(3.0 / step(s2, -8) < MAX_BAND_LEVEL);
    }
}
