//! Test instruments for the butterfly members: an instrumented number type and the checks
//! every member runs.
//!
//! [`Probe`] is a [`Lane`] that carries an upper bound on the magnitude of the value it
//! stands for and counts every operation, so running a butterfly on it gives the
//! butterfly's exact operation count and a proof that no intermediate value of the integer
//! inverse can leave the i32 range for any input within the member's clamps.

use std::cell::Cell;

use super::analysis::{round_trip_error, Rng};
use super::dct::MAX_DEQUANT;
use super::lanes::{Constant, Lane};
use super::separable::Member;
use super::{ArithmeticCost, BlockTransform};

thread_local! {
    static COUNT: Cell<ArithmeticCost> = const { Cell::new(ArithmeticCost::new(0, 0, 0)) };
    static PEAK: Cell<f64> = const { Cell::new(0.0) };
}

fn tally(f: impl Fn(&mut ArithmeticCost)) {
    COUNT.with(|c| {
        let mut v = c.get();
        f(&mut v);
        c.set(v);
    });
}

fn note(magnitude: f64) -> f64 {
    PEAK.with(|p| p.set(p.get().max(magnitude)));
    magnitude
}

/// An upper bound on |value|, propagated through a butterfly.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe(pub f64);

impl Lane for Probe {
    fn add(self, other: Probe) -> Probe {
        tally(|c| c.additions += 1);
        Probe(note(self.0 + other.0))
    }
    fn sub(self, other: Probe) -> Probe {
        tally(|c| c.additions += 1);
        Probe(note(self.0 + other.0))
    }
    fn shl(self, bits: u32) -> Probe {
        tally(|c| c.shifts += 1);
        Probe(note(self.0 * (1u64 << bits) as f64))
    }
    fn shr(self, bits: u32) -> Probe {
        tally(|c| c.shifts += 1);
        // |floor(x / 2^b)| <= ceil(|x| / 2^b).
        Probe((self.0 / (1u64 << bits) as f64).ceil())
    }
    fn mul(self, c: Constant) -> Probe {
        tally(|k| k.multiplications += 1);
        let product = note(self.0 * c.fixed.unsigned_abs() as f64);
        if c.bits == 0 {
            Probe(product)
        } else {
            let rounded = note(product + (1u64 << (c.bits - 1)) as f64);
            Probe((rounded / (1u64 << c.bits) as f64).ceil())
        }
    }
}

/// Operation counts of one run of `butterfly`.
pub(crate) fn count(butterfly: impl Fn([Probe; 8]) -> [Probe; 8]) -> ArithmeticCost {
    COUNT.with(|c| c.set(ArithmeticCost::default()));
    butterfly([Probe(1.0); 8]);
    COUNT.with(|c| c.get())
}

fn after_round_shift(bound: f64, bits: u32) -> f64 {
    if bits == 0 {
        bound
    } else {
        let half = (1u64 << (bits - 1)) as f64;
        (note(bound + half) / (1u64 << bits) as f64).ceil()
    }
}

/// The largest magnitude any intermediate value of `M`'s 2-D integer inverse can reach.
pub(crate) fn inverse_peak<M: Member>() -> f64 {
    let shape = M::SHAPE;
    PEAK.with(|p| p.set(0.0));
    let input = after_round_shift(shape.input_limit as f64, shape.pre_shift);
    let pass1 = M::inverse([Probe(input); 8]);
    let worst1 = pass1.iter().map(|p| p.0).fold(0.0, f64::max);
    let mid = after_round_shift(note(worst1), shape.mid_shift).min(shape.mid_limit as f64);
    let pass2 = M::inverse([Probe(mid); 8]);
    let worst2 = pass2.iter().map(|p| p.0).fold(0.0, f64::max);
    after_round_shift(note(worst2), shape.final_shift);
    PEAK.with(|p| p.get())
}

fn assert_close(a: &[[f64; 8]; 8], b: &[[f64; 8]; 8], tolerance: f64, what: &str) {
    for i in 0..8 {
        for j in 0..8 {
            assert!(
                (a[i][j] - b[i][j]).abs() <= tolerance,
                "{what}: [{i}][{j}] is {} expected {}",
                a[i][j],
                b[i][j]
            );
        }
    }
}

fn mat_mul(a: &[[f64; 8]; 8], b: &[[f64; 8]; 8]) -> [[f64; 8]; 8] {
    let mut m = [[0.0; 8]; 8];
    for i in 0..8 {
        for j in 0..8 {
            m[i][j] = (0..8).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

/// Applies `m` on both sides in f64: `m B mᵀ`.
fn separable_f64(m: &[[f64; 8]; 8], block: &[f64; 64]) -> [f64; 64] {
    let mut out = [0.0; 64];
    for u in 0..8 {
        for v in 0..8 {
            let mut sum = 0.0;
            for y in 0..8 {
                for x in 0..8 {
                    sum += m[u][y] * m[v][x] * block[8 * y + x];
                }
            }
            out[8 * u + v] = sum;
        }
    }
    out
}

/// Every check a butterfly member must pass. `rows` is the member's 8-point matrix as
/// published (any row scaling); `inverse_tolerance` how far the decoder's synthesis may be
/// from the exact inverse of the analysis (0 but for rounding, except for HEVC).
pub(crate) fn check_member<M: Member>(
    t: &dyn BlockTransform,
    rows: &[[f64; 8]; 8],
    inverse_tolerance: f64,
) {
    // The forward butterfly is the published matrix, up to row scaling.
    let mut normalized = *rows;
    for row in normalized.iter_mut() {
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        row.iter_mut().for_each(|x| *x /= norm);
    }
    let a = t.analysis_matrix();
    assert_close(&a, &normalized, 1e-12, "analysis matrix");
    // The decoder's synthesis inverts the analysis.
    let mut identity = [[0.0; 8]; 8];
    for (k, row) in identity.iter_mut().enumerate() {
        row[k] = 1.0;
    }
    let p = t.synthesis_matrix();
    assert_close(
        &mat_mul(&p, &a),
        &identity,
        inverse_tolerance.max(1e-12),
        "synthesis · analysis",
    );
    // Costs as documented, counted on the butterflies.
    assert_eq!(count(M::forward::<Probe>), M::COST.forward, "forward cost");
    assert_eq!(count(M::inverse::<Probe>), M::COST.inverse, "inverse cost");
    // No i32 overflow anywhere in the inverse, and valid data never reaches the clamp.
    let peak = inverse_peak::<M>();
    assert!(peak < i32::MAX as f64, "inverse may overflow: peak {peak}");
    let factors = t.dequant_scales();
    let widest = factors.iter().fold(0.0f64, |m, &f| m.max(f));
    assert!(
        t.input_limit() as f64 >= MAX_DEQUANT as f64 * widest,
        "input limit {} below {MAX_DEQUANT} × {widest}",
        t.input_limit()
    );
    check_forward(t, &a);
    check_inverse(t, &p);
    check_extremes(t);
    if M::SHAPE.mid_limit == i32::MAX {
        check_exact_at_limit(t, &p);
    }
    let error = round_trip_error(t, 2000, 99);
    assert!(error.max <= 1.0, "round trip: {error:?}");
    assert!(error.mean < 0.3, "round trip: {error:?}");
}

fn check_forward(t: &dyn BlockTransform, a: &[[f64; 8]; 8]) {
    let mut rng = Rng::new(5);
    for _ in 0..200 {
        let pixels = rng.pixel_block();
        let reference = separable_f64(a, &pixels.map(f64::from));
        let mut out = [0.0f32; 64];
        t.forward(&pixels, &mut out);
        for k in 0..64 {
            assert!(
                (out[k] as f64 - reference[k]).abs() < 2e-3,
                "{} forward coefficient {k}: {} vs {}",
                t.name(),
                out[k],
                reference[k]
            );
        }
    }
}

/// The integer inverse against the f64 synthesis, on quantized-looking coefficients.
fn check_inverse(t: &dyn BlockTransform, p: &[[f64; 8]; 8]) {
    let factors = t.dequant_scales();
    let mut rng = Rng::new(11);
    for _ in 0..300 {
        let mut levels = [0.0f64; 64];
        let mut z = [0i32; 64];
        for k in 0..64 {
            let step16 = 16.0 * (1 + rng.below(40)) as f64;
            let level = rng.below(9) as f64 - 4.0;
            levels[k] = level * step16 / 16.0;
            z[k] = (level * (step16 * factors[k]).round()) as i32;
        }
        let ideal = separable_f64(p, &levels);
        let mut out = [0i32; 64];
        t.inverse(&z, &mut out);
        for k in 0..64 {
            let tolerance = 1.0 + 2e-4 * levels.iter().map(|l| l.abs()).sum::<f64>();
            assert!(
                (out[k] as f64 - ideal[k]).abs() <= tolerance,
                "{} inverse pixel {k}: {} vs {}",
                t.name(),
                out[k],
                ideal[k]
            );
        }
    }
}

/// Inputs at ±input_limit (random signs) are inverted without wrapping: the output matches
/// the f64 synthesis up to rounding (and HEVC's non-orthogonality).
fn check_exact_at_limit(t: &dyn BlockTransform, p: &[[f64; 8]; 8]) {
    let limit = t.input_limit();
    let factors = t.dequant_scales();
    let mut rng = Rng::new(21);
    for _ in 0..200 {
        let z: [i32; 64] = std::array::from_fn(|_| if rng.below(2) == 0 { limit } else { -limit });
        let y: [f64; 64] = std::array::from_fn(|k| z[k] as f64 / (16.0 * factors[k]));
        let ideal = separable_f64(p, &y);
        let mut out = [0i32; 64];
        t.inverse(&z, &mut out);
        let largest = ideal.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for k in 0..64 {
            let error = (out[k] as f64 - ideal[k]).abs();
            assert!(
                error <= 2.0 + 1e-3 * largest,
                "{} at the limit: pixel {k} off by {error}",
                t.name()
            );
        }
    }
}

/// Hostile inputs never panic (tests run with overflow checks) and stay bounded; inputs
/// at the limit, clamped by `dequantize_block`, are still inverted exactly.
fn check_extremes(t: &dyn BlockTransform) {
    let limit = t.input_limit();
    let values = [
        i32::MIN,
        i32::MAX,
        i32::MIN + 1,
        MAX_DEQUANT,
        -MAX_DEQUANT,
        limit,
        -limit,
        limit.saturating_add(1),
    ];
    let mut rng = Rng::new(3);
    for value in values {
        let mut blocks = vec![[value; 64]];
        let mut alternating = [0i32; 64];
        for (i, c) in alternating.iter_mut().enumerate() {
            *c = if (i * 7) % 3 == 0 {
                value
            } else {
                value.wrapping_neg()
            };
        }
        blocks.push(alternating);
        for _ in 0..50 {
            blocks.push(std::array::from_fn(|_| {
                if rng.below(2) == 0 {
                    value
                } else {
                    value.wrapping_neg()
                }
            }));
        }
        for block in &blocks {
            let mut out = [0i32; 64];
            t.inverse(block, &mut out);
            assert!(
                out.iter().all(|v| v.unsigned_abs() < 1 << 24),
                "{}",
                t.name()
            );
        }
    }
    let mut out = [0.0f32; 64];
    t.forward(&[f32::MAX; 64], &mut out);
    t.forward(&[-128.0; 64], &mut out);
    assert!(
        (out[0] + 1024.0).abs() < 1e-2,
        "{} DC of -128: {}",
        t.name(),
        out[0]
    );
}
