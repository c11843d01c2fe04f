//! The integer MDCT (IntMDCT): integer samples in, integer coefficients out, and an exact
//! inverse, for lossless audio coding.
//!
//! In: blocks of `N` integer samples (the hop; frames overlap by 50 % and use the sine
//! window). Out: `N` integer coefficients per frame, within a few units of the rounded
//! float MDCT of [`super::mdct`] (same definition and scale: the integer MDCT of `x` is
//! close to `round(MDCT(x))`), and back to the very same samples. The construction follows
//! Geiger, Herre, Koller and Brandenburg, "IntMDCT – a link between perceptual and lossless
//! audio coding" (ICASSP 2002), and Geiger, Yokotani and Schuller, "Improved integer
//! transforms for lossless audio coding" (Asilomar 2003, multidimensional lifting):
//!
//! 1. **Windowing and TDAC folding** as Givens rotations. Within each block of `N` samples
//!    `u`, the pair `(u[p], u[N-1-p])` (`p < N/2`) is rotated by the angle `θ` with
//!    `cos θ = w[p]`, `sin θ = w[N-1-p]` (Princen-Bradley: `w[p]² + w[p+N]² = 1`, and the
//!    sine window is symmetric, so `w[p+N] = w[N-1-p]`): `a = c·u[p] - s·u[N-1-p]` becomes
//!    value `N/2 + p` of the next frame's folded vector and `-(s·u[p] + c·u[N-1-p])` value
//!    `N/2-1-p` of this block's frame. Each rotation is three lifting steps with rounding,
//!    `x += ⌊(c-1)/s · y⌉; y += ⌊s · x⌉; x += ⌊(c-1)/s · y⌉` ([`Lifting`]), undone exactly
//!    by the same steps reversed with opposite signs. For the sine window `θ` lies in
//!    `(π/4, π/2)`, so the lifting factors are within `(-1, -0.41)` and `(0.7, 1]`;
//!    [`Lifting`] also handles any other angle (near 0 the factors tend to 0, an identity;
//!    for `cos θ < 0` it rotates by `θ - π` and negates, so no factor exceeds 1).
//! 2. **DCT-IV** of the folded vectors, integer to integer, by multidimensional lifting: for
//!    two integer vectors `x`, `y` and the orthonormal DCT-IV `T` (`T·T = I`), the steps
//!    `y += ⌊T x⌉; x -= ⌊T y⌉; y += ⌊T x⌉` give `(-T y, T x)` up to rounding and are
//!    inverted exactly by `y -= ⌊T x⌉; x += ⌊T y⌉; y -= ⌊T x⌉` ([`IntMdct::dct_pair`],
//!    [`IntMdct::inverse_dct_pair`]). The two vectors are the left and right channel's
//!    frames of the same instant for stereo, and for mono two consecutive frames (`2k`,
//!    `2k+1`): both cost 1.5 DCT-IVs per frame, need no state beyond the pair, and keep
//!    every pair inside one packet (the audio codec gives mono streams an even number of
//!    frames per packet and an even frame count, adding one all-zero frame when needed;
//!    an all-zero frame's coefficients are exactly zero).
//!
//! **Determinism.** Encoder and decoder must compute the same `⌊T x⌉` to the bit, on any
//! machine. rustfft chooses AVX, SSE or scalar code at run time, with different radices and
//! orders of operations, so its last bits may differ between machines; a value near a half
//! can then round the other way, and no bound on the FFT error can exclude that. So `T` is
//! computed here in `f64` by the project's plain radix-2 FFT ([`PlainFft::portable`]: fixed
//! order of operations, planned once, no allocation per block), with every table (window
//! angles, twiddles) built by [`super::trig`] from integers in basic IEEE-754 operations,
//! never from the platform's libm. Rounding is `f64::round` (halves away from zero). The
//! result depends on neither the thread count nor the CPU's features.
//!
//! **Arithmetic cost** (by construction, per input sample, one channel):
//! folding 1.5 multiplications, 1.5 additions and 1.5 roundings (three lifting steps per
//! pair of samples); the DCT-IV of `N` points, an `N/2`-point complex FFT between pre- and
//! post-twiddles, costs `4 + log2(N/2)` multiplications and `2 + 1.5·log2(N/2)` additions per
//! coefficient, and the lifting runs it 1.5 times per frame, adding 1.5 additions and 1.5
//! roundings. For `N = 1024`: 21 multiplications, 26.25 additions and 3 roundings per
//! sample, against 15 and 16.5 for the float MDCT (window 2 and 1, one DCT-IV).

use super::dct4::Dct4;
use super::fft::PlainFft;
use super::trig::sin_cos_turns;

/// Rounds to the nearest integer, halves away from zero (the same on every machine).
/// Integer arithmetic in this module wraps (two's complement): valid streams stay far
/// inside `i32` (|coefficients| < 2^22), and hostile coefficients give wrong samples, never
/// a panic; wrapping steps are still exactly inverted.
///
/// The same as `v.round() as i32` (saturating), without the libm call that `f64::round`
/// becomes on x86-64 without SSE4.1: truncation is one instruction, and the fraction
/// `v - trunc(v)` is exact in `f64`.
#[inline]
fn round(v: f64) -> i32 {
    let t = v as i64;
    let fraction = v - t as f64;
    let r = if fraction >= 0.5 {
        t.saturating_add(1)
    } else if fraction <= -0.5 {
        t.saturating_sub(1)
    } else {
        t
    };
    r.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// A Givens rotation `(x, y) → (c·x - s·y, s·x + c·y)` as three lifting steps with
/// rounding: integer to integer and exactly invertible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lifting {
    /// Rotate by `θ - π` and negate (for `cos θ < 0`).
    negate: bool,
    /// `(cos - 1) / sin` of the (reduced) angle, i.e. `-tan(θ/2)`.
    p: f64,
    /// `sin` of the (reduced) angle.
    s: f64,
}

impl Lifting {
    /// The rotation whose cosine and sine are `c` and `s` (`c² + s²` should be 1).
    pub fn new(c: f64, s: f64) -> Lifting {
        let (negate, c, s) = if c < 0.0 {
            (true, -c, -s)
        } else {
            (false, c, s)
        };
        // With c >= 0 the reduced angle is within [-π/2, π/2] and |p| <= 1; at s = 0 the
        // rotation is the identity and p = 0.
        let p = if s == 0.0 { 0.0 } else { (c - 1.0) / s };
        Lifting { negate, p, s }
    }

    /// Rotates an integer pair.
    #[inline]
    pub fn forward(&self, x: i32, y: i32) -> (i32, i32) {
        let x = x.wrapping_add(round(self.p * y as f64));
        let y = y.wrapping_add(round(self.s * x as f64));
        let x = x.wrapping_add(round(self.p * y as f64));
        if self.negate {
            (x.wrapping_neg(), y.wrapping_neg())
        } else {
            (x, y)
        }
    }

    /// Undoes [`Lifting::forward`] exactly.
    #[inline]
    pub fn inverse(&self, x: i32, y: i32) -> (i32, i32) {
        let (x, y) = if self.negate {
            (x.wrapping_neg(), y.wrapping_neg())
        } else {
            (x, y)
        };
        let x = x.wrapping_sub(round(self.p * y as f64));
        let y = y.wrapping_sub(round(self.s * x as f64));
        let x = x.wrapping_sub(round(self.p * y as f64));
        (x, y)
    }
}

/// The orthonormal DCT-IV `X[k] = √(2/N) Σ x[n] cos(π/N (n + ½)(k + ½))` of `N` points
/// in `f64`, by an `N/2`-point complex FFT, bit-reproducible (see the module docs).
pub type PortableDct4 = Dct4<f64, PlainFft>;

/// The integer MDCT of `N` coefficients with the sine window, planned once.
#[derive(Debug, Clone)]
pub struct IntMdct {
    n: usize,
    /// The window rotation of each pair `(p, N-1-p)`, `p < N/2`.
    rotations: Vec<Lifting>,
    dct: PortableDct4,
    t: Vec<f64>,
}

impl IntMdct {
    /// An integer MDCT of `n` coefficients (a power of two, at least 4).
    pub fn new(n: usize) -> IntMdct {
        // Sine window w[p] = sin(π(p + ½)/2N) = sin(2π(2p + 1)/8N), and w[N-1-p] its cosine.
        let rotations = (0..n / 2)
            .map(|p| {
                let (s, c) = sin_cos_turns(2 * p as i64 + 1, 8 * n as i64);
                Lifting::new(s, c)
            })
            .collect();
        IntMdct {
            n,
            rotations,
            dct: Dct4::portable(n),
            t: vec![0.0; n],
        }
    }

    /// The number of coefficients `N`.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for a zero-size transform.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Windows and folds one block of `N` samples (block `m`, samples `[mN, (m+1)N)`): its
    /// part of frame `m`'s folded vector goes to `lower` (values `0..N/2` of that vector)
    /// and its part of frame `m+1`'s to `upper` (values `N/2..N`).
    pub fn fold(&self, block: &[i32], lower: &mut [i32], upper: &mut [i32]) {
        let n = self.n;
        let h = n / 2;
        for (p, r) in self.rotations.iter().enumerate() {
            let (a, b) = r.forward(block[p], block[n - 1 - p]);
            upper[p] = a;
            lower[h - 1 - p] = b.wrapping_neg();
        }
    }

    /// Undoes [`IntMdct::fold`]: block `m` from frame `m`'s lower and frame `m+1`'s upper
    /// half.
    pub fn unfold(&self, lower: &[i32], upper: &[i32], block: &mut [i32]) {
        let n = self.n;
        let h = n / 2;
        for (p, r) in self.rotations.iter().enumerate() {
            let (x, y) = r.inverse(upper[p], lower[h - 1 - p].wrapping_neg());
            block[p] = x;
            block[n - 1 - p] = y;
        }
    }

    /// `to += sign · ⌊T from⌉`.
    fn lift(&mut self, from: &[i32], to: &mut [i32], sign: i32) {
        self.dct.apply(from, &mut self.t);
        for (v, &t) in to.iter_mut().zip(&self.t) {
            *v = v.wrapping_add(sign.wrapping_mul(round(t)));
        }
    }

    /// Turns two folded vectors into their DCT-IVs, in place, integer to integer:
    /// `a ≈ T a`, `b ≈ T b`.
    pub fn dct_pair(&mut self, a: &mut [i32], b: &mut [i32]) {
        // x = a, y = b: y += ⌊T x⌉; x -= ⌊T y⌉; y += ⌊T x⌉ leaves x ≈ -T b, y ≈ T a.
        self.lift(a, b, 1);
        self.lift(b, a, -1);
        self.lift(a, b, 1);
        a.swap_with_slice(b);
        b.iter_mut().for_each(|v| *v = v.wrapping_neg());
    }

    /// Undoes [`IntMdct::dct_pair`] exactly.
    pub fn inverse_dct_pair(&mut self, a: &mut [i32], b: &mut [i32]) {
        b.iter_mut().for_each(|v| *v = v.wrapping_neg());
        a.swap_with_slice(b);
        self.lift(a, b, -1);
        self.lift(b, a, 1);
        self.lift(a, b, -1);
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod round_tests {
    #[test]
    fn rounding_matches_f64_round() {
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
        ];
        values.extend([-0.49999999999999994, 1e300, -1e300, f64::NAN, f64::INFINITY]);
        values.extend([
            2147483647.5,
            -2147483648.5,
            4503599627370495.5,
            9e18,
            -9.3e18,
        ]);
        let mut s = 1u64;
        for _ in 0..100_000 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = f64::from_bits(s >> 2) * if s & 1 == 0 { 1.0 } else { -1.0 };
            values.push(v);
            values.push((s >> 40) as f64 / 64.0 - 131072.0);
        }
        for v in values {
            assert_eq!(super::round(v), v.round() as i32, "{v}");
        }
    }
}
