//! Complex FFTs for the MDCT: a planned rustfft FFT for the encoder, a plain f64 FFT for the
//! decoder.
//!
//! [`PlannedFft`] wraps a rustfft plan in `f32` with its own scratch buffer: planned once,
//! reused for every block, no allocation per call. rustfft picks AVX, SSE or scalar code at
//! run time, so its results may differ in the last bits between machines; that is fine for
//! the encoder, whose analysis never has to match anything bit for bit. [`PlainFft`] is an
//! iterative radix-2 decimation-in-time FFT in `f64` with fixed twiddle tables and a fixed
//! order of operations (Rust never fuses multiply-adds on its own), so it gives the same
//! bits on every machine whose `f64` `sin`/`cos` round the same way; the audio decoder uses
//! it so that decoded output does not depend on the CPU. Both compute the forward,
//! unnormalised transform `X[k] = Σ x[n] e^{-2πi nk/N}`, output in natural order.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// A forward, unnormalised complex FFT of a fixed length in the number type `T`, computed
/// in place (what [`super::dct4::Dct4`] needs of an FFT).
pub trait ComplexFft<T> {
    /// Transforms `data` (exactly the transform's length) in place.
    fn process(&mut self, data: &mut [Complex<T>]);
}

impl ComplexFft<f32> for PlannedFft {
    fn process(&mut self, data: &mut [Complex<f32>]) {
        PlannedFft::process(self, data);
    }
}

impl ComplexFft<f64> for PlainFft {
    fn process(&mut self, data: &mut [Complex<f64>]) {
        PlainFft::process(self, data);
    }
}

/// A forward complex FFT of one size, planned once, with its scratch space.
pub struct PlannedFft {
    fft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl std::fmt::Debug for PlannedFft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PlannedFft({})", self.fft.len())
    }
}

impl Clone for PlannedFft {
    fn clone(&self) -> Self {
        PlannedFft {
            fft: Arc::clone(&self.fft),
            scratch: vec![Complex::default(); self.scratch.len()],
        }
    }
}

impl PlannedFft {
    /// Plans a forward FFT of `len` points.
    pub fn new(len: usize) -> PlannedFft {
        let fft = FftPlanner::new().plan_fft_forward(len);
        let scratch = vec![Complex::default(); fft.get_inplace_scratch_len()];
        PlannedFft { fft, scratch }
    }

    /// The transform length.
    pub fn len(&self) -> usize {
        self.fft.len()
    }

    /// True for a zero-point transform.
    pub fn is_empty(&self) -> bool {
        self.fft.len() == 0
    }

    /// Transforms `data` (exactly [`PlannedFft::len`] points) in place.
    pub fn process(&mut self, data: &mut [Complex<f32>]) {
        self.fft.process_with_scratch(data, &mut self.scratch);
    }
}

/// A radix-2 forward FFT in `f64` with a fixed order of operations (see the module docs).
#[derive(Debug, Clone)]
pub struct PlainFft {
    len: usize,
    /// `e^{-2πi k/len}` for `k < len / 2`.
    twiddles: Vec<Complex<f64>>,
    /// Bit-reversed index of every position.
    reversed: Vec<usize>,
}

impl PlainFft {
    /// A transform of `len` points; `len` must be a power of two (1 is allowed).
    pub fn new(len: usize) -> PlainFft {
        PlainFft::with_twiddles(len, |k| {
            let a = -2.0 * std::f64::consts::PI * k as f64 / len as f64;
            Complex::new(a.cos(), a.sin())
        })
    }

    /// A transform of `len` points (a power of two) whose twiddles come from
    /// [`super::trig::sin_cos_turns`] instead of the platform's libm, so its results are
    /// the same bits on every IEEE-754 machine (the integer MDCT needs that; the lossy
    /// decoder keeps [`PlainFft::new`] so its output stays as it was).
    pub fn portable(len: usize) -> PlainFft {
        PlainFft::with_twiddles(len, |k| {
            let (s, c) = super::trig::sin_cos_turns(-(k as i64), len as i64);
            Complex::new(c, s)
        })
    }

    /// A transform of `len` points whose twiddle `k` (of `len / 2`) is `twiddle(k)`.
    fn with_twiddles(len: usize, twiddle: impl Fn(usize) -> Complex<f64>) -> PlainFft {
        debug_assert!(len.is_power_of_two());
        let bits = len.trailing_zeros();
        let reversed = (0..len)
            .map(|i| {
                if bits == 0 {
                    0
                } else {
                    i.reverse_bits() >> (usize::BITS - bits)
                }
            })
            .collect();
        PlainFft {
            len,
            twiddles: (0..len / 2).map(twiddle).collect(),
            reversed,
        }
    }

    /// The transform length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a zero-point transform.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Transforms `data` (exactly [`PlainFft::len`] points) in place.
    pub fn process(&self, data: &mut [Complex<f64>]) {
        let n = self.len;
        for i in 0..n {
            let j = self.reversed[i];
            if j > i {
                data.swap(i, j);
            }
        }
        let mut half = 1;
        while half < n {
            let stride = n / (2 * half);
            for start in (0..n).step_by(2 * half) {
                for k in 0..half {
                    let w = self.twiddles[k * stride];
                    let a = data[start + k];
                    let b = data[start + k + half];
                    let t = Complex::new(b.re * w.re - b.im * w.im, b.re * w.im + b.im * w.re);
                    data[start + k] = Complex::new(a.re + t.re, a.im + t.im);
                    data[start + k + half] = Complex::new(a.re - t.re, a.im - t.im);
                }
            }
            half *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[Complex<f64>]) -> Vec<Complex<f64>> {
        let n = x.len();
        (0..n)
            .map(|k| {
                x.iter()
                    .enumerate()
                    .fold(Complex::new(0.0, 0.0), |acc, (j, &v)| {
                        let a = -2.0 * std::f64::consts::PI * (j * k % n) as f64 / n as f64;
                        acc + v * Complex::new(a.cos(), a.sin())
                    })
            })
            .collect()
    }

    fn seeded(n: usize, seed: u64) -> Vec<Complex<f64>> {
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        (0..n).map(|_| Complex::new(next(), next())).collect()
    }

    #[test]
    fn both_match_the_naive_dft() {
        for n in [1usize, 2, 8, 64, 512] {
            let x = seeded(n, n as u64);
            let want = naive(&x);
            let mut plain = x.clone();
            PlainFft::new(n).process(&mut plain);
            let mut portable = x.clone();
            PlainFft::portable(n).process(&mut portable);
            let mut planned: Vec<Complex<f32>> = x
                .iter()
                .map(|c| Complex::new(c.re as f32, c.im as f32))
                .collect();
            PlannedFft::new(n).process(&mut planned);
            for k in 0..n {
                assert!((plain[k] - want[k]).norm() < 1e-9 * n as f64, "n {n} k {k}");
                assert!(
                    (portable[k] - want[k]).norm() < 1e-9 * n as f64,
                    "n {n} k {k}"
                );
                let p = Complex::new(planned[k].re as f64, planned[k].im as f64);
                assert!((p - want[k]).norm() < 1e-4 * n as f64, "n {n} k {k}");
            }
        }
    }
}
