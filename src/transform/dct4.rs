//! The DCT-IV by a complex FFT of half its length: the one kernel of the float MDCT
//! ([`super::mdct`]: forward in `f32`, inverse in `f64`) and of the integer MDCT
//! ([`super::intmdct`], bit-reproducible `f64`).
//!
//! In: `N` real values (`N` a power of two, at least 4; any type that converts exactly into
//! the working float: `f32`, `i32`). Out: `N` values `post · FFT(pre · z)` unpacked, where
//! `z[i] = x[2i] + i·x[N-1-2i]` for `i < N/2`. With the pre-twiddle `e^{-iπ(i + ¼)/N}` and the
//! post-twiddle `e^{-iπ k/N}` that is the unnormalised DCT-IV
//! `X[k] = Σ x[n] cos(π/N (n + ½)(k + ½))`; a scale (the MDCT's `√(2/N)`) lives in the
//! window or in the post-twiddle, as each caller needs.
//!
//! The three users differ only in their number type, their FFT and how their twiddles are
//! computed, so those are the parameters: [`Dct4::planned`] (`f32`, rustfft, for the
//! encoder), [`Dct4::plain`] (`f64`, [`PlainFft::new`], the lossy decoder), and
//! [`Dct4::portable`] (`f64`, [`PlainFft::portable`] and twiddles from
//! [`super::trig::sin_cos_turns`], scaled to the orthonormal transform, for the integer
//! MDCT). The arithmetic is the same code in the same order for all of them, so each gives
//! exactly the bits its former hand-written copy gave.

use rustfft::num_complex::Complex;
use rustfft::FftNum;

use super::fft::{ComplexFft, PlainFft, PlannedFft};
use super::trig::sin_cos_turns;

/// A DCT-IV of `N` points in the number type `T` on the FFT `F`, with its tables and
/// buffer: planned once, no allocation per call.
#[derive(Debug, Clone)]
pub struct Dct4<T, F> {
    n: usize,
    /// Pre-twiddle of packed input `i`, `i < N/2`.
    pre: Vec<Complex<T>>,
    /// Post-twiddle of FFT output `k`, `k < N/2`.
    post: Vec<Complex<T>>,
    buffer: Vec<Complex<T>>,
    fft: F,
}

/// Pre-twiddles `e^{-iπ(i + ¼)/N}` and post-twiddles `e^{-iπ k/N}` for `i, k < N/2`, from
/// the platform's `f64` `sin` and `cos`.
fn libm_twiddles(n: usize) -> (Vec<Complex<f64>>, Vec<Complex<f64>>) {
    let pi = std::f64::consts::PI;
    let pre = (0..n / 2)
        .map(|i| {
            let a = -pi * (i as f64 + 0.25) / n as f64;
            Complex::new(a.cos(), a.sin())
        })
        .collect();
    let post = (0..n / 2)
        .map(|i| {
            let a = -pi * i as f64 / n as f64;
            Complex::new(a.cos(), a.sin())
        })
        .collect();
    (pre, post)
}

impl Dct4<f32, PlannedFft> {
    /// The encoder's unnormalised DCT-IV of `n` points: `f32` on a planned rustfft FFT
    /// (fast; its last bits may depend on the CPU).
    pub fn planned(n: usize) -> Self {
        let (pre, post) = libm_twiddles(n);
        let c32 = |c: &Complex<f64>| Complex::new(c.re as f32, c.im as f32);
        Dct4::with_tables(
            pre.iter().map(c32).collect(),
            post.iter().map(c32).collect(),
            PlannedFft::new(n / 2),
        )
    }
}

impl Dct4<f64, PlainFft> {
    /// The lossy decoder's unnormalised DCT-IV of `n` points: `f64` on the plain radix-2
    /// FFT, with libm twiddles (as the lossy decoder always had them).
    pub fn plain(n: usize) -> Self {
        let (pre, post) = libm_twiddles(n);
        Dct4::with_tables(pre, post, PlainFft::new(n / 2))
    }

    /// The orthonormal DCT-IV `X[k] = √(2/N) Σ x[n] cos(π/N (n + ½)(k + ½))` of `n` points,
    /// with every table from [`sin_cos_turns`]: the same bits on every IEEE-754 machine.
    pub fn portable(n: usize) -> Self {
        let h = n / 2;
        let scale = (2.0 / n as f64).sqrt();
        let pre = (0..h)
            .map(|i| {
                let (s, c) = sin_cos_turns(-(4 * i as i64 + 1), 8 * n as i64);
                Complex::new(c, s)
            })
            .collect();
        let post = (0..h)
            .map(|i| {
                let (s, c) = sin_cos_turns(-(i as i64), 2 * n as i64);
                Complex::new(c * scale, s * scale)
            })
            .collect();
        Dct4::with_tables(pre, post, PlainFft::portable(h))
    }
}

impl<T: FftNum, F: ComplexFft<T>> Dct4<T, F> {
    /// A transform of `2 · pre.len()` points from its twiddle tables and an FFT of
    /// `pre.len()` points.
    fn with_tables(pre: Vec<Complex<T>>, post: Vec<Complex<T>>, fft: F) -> Self {
        let h = pre.len();
        Dct4 {
            n: 2 * h,
            pre,
            post,
            buffer: vec![Complex::new(T::zero(), T::zero()); h],
            fft,
        }
    }

    /// The number of points `N`.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for a zero-point transform.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `output = DCT-IV(input)`, `N` values each (see the module docs for the scale).
    pub fn apply<S: Copy + Into<T>>(&mut self, input: &[S], output: &mut [T]) {
        let n = self.n;
        let h = n / 2;
        for i in 0..h {
            let v = Complex::new(input[2 * i].into(), input[n - 1 - 2 * i].into());
            self.buffer[i] = v * self.pre[i];
        }
        self.fft.process(&mut self.buffer);
        for k in 0..h {
            let y = self.buffer[k] * self.post[k];
            output[2 * k] = y.re;
            output[n - 1 - 2 * k] = -y.im;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unnormalised DCT-IV by its definition.
    fn naive(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        (0..n)
            .map(|k| {
                (0..n)
                    .map(|i| {
                        x[i] * (std::f64::consts::PI / n as f64
                            * (i as f64 + 0.5)
                            * (k as f64 + 0.5))
                            .cos()
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn every_variant_matches_the_definition() {
        for n in [4usize, 32, 512] {
            let x: Vec<f64> = (0..n)
                .map(|i| ((i * 37 % 23) as f64 - 11.0) / 7.0)
                .collect();
            let want = naive(&x);
            let scale = (2.0 / n as f64).sqrt();
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut planned = vec![0f32; n];
            Dct4::planned(n).apply(&x32, &mut planned);
            let mut plain = vec![0f64; n];
            Dct4::plain(n).apply(&x, &mut plain);
            let mut portable = vec![0f64; n];
            Dct4::portable(n).apply(&x, &mut portable);
            for k in 0..n {
                assert!(
                    (planned[k] as f64 - want[k]).abs() < 1e-4 * n as f64,
                    "{n} {k}"
                );
                assert!((plain[k] - want[k]).abs() < 1e-9 * n as f64, "{n} {k}");
                assert!(
                    (portable[k] - scale * want[k]).abs() < 1e-9 * n as f64,
                    "{n} {k}"
                );
            }
        }
    }
}
