//! Rate-distortion optimized quantization of one block.
//!
//! Starting from dead-zone levels, the optimizer walks the coefficients from the highest
//! frequency down and tries lowering each magnitude by one (to zero for ones), keeping a
//! change when it lowers `D + λ·R`. D is the squared error of every coefficient measured
//! in units of its own step (so a perceptual matrix weights it), R the bits of the whole
//! block priced by the caller with the models that will code it. A last candidate drops
//! every AC level. The caller's pricing function sees the full candidate block.

/// Upper bounds on the bits that zeroing a level, or lowering it by one, can save: the
/// significance flag, sign, magnitude flags and the effect on the coded count. Changes
/// whose distortion exceeds λ times these are not even priced.
const MAX_BITS_ZEROING: f32 = 24.0;
const MAX_BITS_LOWERING: f32 = 8.0;

/// Squared error of coefficient `c` reconstructed from `level`, in units of the step.
#[inline]
fn normalized_error(c: f32, level: i32, step: f32) -> f32 {
    let e = c / step - level as f32;
    e * e
}

/// Improves `levels` in place. `coefficients` and `steps` (in coefficient units) are
/// row-major; `scan` is the coding order; `lambda` is in squared steps per bit; `price`
/// returns the cost in bits of coding a candidate block. Index 0 (DC) is left alone.
pub fn optimize_block<F: FnMut(&[i32; 64]) -> f64>(
    coefficients: &[f32; 64],
    steps: &[f32; 64],
    levels: &mut [i32; 64],
    scan: &[usize; 64],
    lambda: f32,
    mut price: F,
) {
    let Some(last) = (1..64).rev().find(|&i| levels[scan[i]] != 0) else {
        return;
    };
    let mut best_rate = price(levels) as f32;
    for i in (1..=last).rev() {
        let k = scan[i];
        let level = levels[k];
        if level == 0 {
            continue;
        }
        let smaller = level - level.signum();
        let delta_d = normalized_error(coefficients[k], smaller, steps[k])
            - normalized_error(coefficients[k], level, steps[k]);
        // Skip pricing a change whose distortion no plausible saving of bits could repay.
        let most_bits_saved = if smaller == 0 {
            MAX_BITS_ZEROING
        } else {
            MAX_BITS_LOWERING
        };
        if delta_d > lambda * most_bits_saved {
            continue;
        }
        levels[k] = smaller;
        let rate = price(levels) as f32;
        if delta_d + lambda * (rate - best_rate) < 0.0 {
            best_rate = rate;
        } else {
            levels[k] = level;
        }
    }
    // Try dropping every AC level of the block.
    let mut zeroed = *levels;
    let mut delta_d = 0.0;
    for k in 1..64 {
        if zeroed[k] != 0 {
            delta_d += normalized_error(coefficients[k], 0, steps[k])
                - normalized_error(coefficients[k], zeroed[k], steps[k]);
            zeroed[k] = 0;
        }
    }
    if zeroed != *levels {
        let rate = price(&zeroed) as f32;
        if delta_d + lambda * (rate - best_rate) < 0.0 {
            *levels = zeroed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::tables::ZIGZAG;

    #[test]
    fn expensive_isolated_ones_are_dropped_and_cheap_bits_kept() {
        let mut coefficients = [0.0f32; 64];
        coefficients[0] = 100.0;
        coefficients[1] = 40.0;
        coefficients[63] = 1.1; // a lone high-frequency one just above the threshold
        let steps = [1.0f32; 64];
        let mut levels = [0i32; 64];
        levels[0] = 100;
        levels[1] = 40;
        levels[63] = 1;
        // A price where each nonzero costs 2 bits plus 20 bits to reach position 63.
        let price = |l: &[i32; 64]| {
            let nz = l[1..].iter().filter(|&&v| v != 0).count() as f64;
            2.0 * nz + if l[63] != 0 { 20.0 } else { 0.0 }
        };
        optimize_block(&coefficients, &steps, &mut levels, &ZIGZAG, 0.1, price);
        assert_eq!(levels[63], 0);
        assert_eq!(levels[1], 40);
        assert_eq!(levels[0], 100);
    }

    #[test]
    fn zero_lambda_changes_nothing_that_costs_distortion() {
        let mut coefficients = [0.0f32; 64];
        for (k, c) in coefficients.iter_mut().enumerate() {
            *c = (k as f32 * 0.7).sin() * 5.0;
        }
        let steps = [1.0f32; 64];
        let mut levels = [0i32; 64];
        for k in 0..64 {
            levels[k] = coefficients[k].round() as i32;
        }
        let before = levels;
        optimize_block(&coefficients, &steps, &mut levels, &ZIGZAG, 0.0, |_| 0.0);
        assert_eq!(levels, before);
    }
}
