//! The MDCT and its inverse, built on an FFT of a quarter of the window length.
//!
//! In: `2N` samples (the current block and the one before it). Out: `N` coefficients, and
//! back: `N` coefficients to `2N` windowed samples for overlap-add. The definition is
//! `X[k] = √(2/N) Σ_{n<2N} w[n] x[n] cos(π/N (n + ½ + N/2)(k + ½))` and its inverse
//! `y[n] = √(2/N) w[n] Σ_k X[k] cos(π/N (n + ½ + N/2)(k + ½))`; with a Princen-Bradley window
//! ([`super::window`]) the lapped transform is orthogonal, so overlap-adding the halves of
//! consecutive inverse blocks reconstructs the input exactly and quantization noise energy
//! is the same in both domains.
//!
//! Fast algorithm: the `2N` inputs fold into `N` values whose DCT-IV is the MDCT, and a
//! DCT-IV of size `N` is an `N/2`-point complex FFT between a pre- and a post-twiddle
//! ([`super::dct4`]). The forward transform ([`Mdct`]) runs it in `f32` on a planned
//! rustfft FFT; the inverse ([`InverseMdct`]) in `f64` on [`super::fft::PlainFft`] so that
//! decoders agree bit for bit on every machine (see `super::fft`). [`naive_mdct`] and
//! [`naive_imdct`] are the O(N²) definitions, for tests.

use super::dct4::Dct4;
use super::fft::{PlainFft, PlannedFft};
use super::window::WindowShape;

/// A window of `2N` weights multiplied by `√(2/N)`, the scale of the definition.
pub fn scaled_window(weights: &[f64], n: usize) -> Vec<f64> {
    let scale = (2.0 / n as f64).sqrt();
    weights.iter().map(|w| w * scale).collect()
}

/// A forward MDCT of `N` coefficients, planned once; no allocation per block.
#[derive(Debug, Clone)]
pub struct Mdct {
    window: Vec<f32>,
    folded: Vec<f32>,
    dct: Dct4<f32, PlannedFft>,
}

impl Mdct {
    /// An MDCT with `n` coefficients (a power of two, at least 4) and the given window.
    pub fn new(n: usize, shape: WindowShape) -> Mdct {
        Mdct {
            window: scaled_window(&shape.weights(2 * n), n)
                .iter()
                .map(|&w| w as f32)
                .collect(),
            folded: vec![0.0; n],
            dct: Dct4::planned(n),
        }
    }

    /// The number of coefficients `N`.
    pub fn len(&self) -> usize {
        self.dct.len()
    }

    /// True for a zero-size transform.
    pub fn is_empty(&self) -> bool {
        self.dct.is_empty()
    }

    /// Transforms `input` (`2N` samples) into `output` (`N` coefficients).
    pub fn forward(&mut self, input: &[f32], output: &mut [f32]) {
        fold(input, &self.window, &mut self.folded);
        self.dct.apply(&self.folded, output);
    }

    /// Transforms `input` (`2N` samples) into `output` (`N` coefficients) with another
    /// window of `2N` weights, already multiplied by `√(2/N)` (block switching uses it).
    pub fn forward_with_window(&mut self, input: &[f32], window: &[f32], output: &mut [f32]) {
        fold(input, window, &mut self.folded);
        self.dct.apply(&self.folded, output);
    }
}

/// Windows `2N` samples and folds them into the `N` inputs of the DCT-IV.
fn fold(input: &[f32], window: &[f32], folded: &mut [f32]) {
    let n = folded.len();
    let h = n / 2;
    let (x, w) = (&input[..2 * n], &window[..2 * n]);
    for i in 0..h {
        let a = 3 * h - 1 - i;
        let b = 3 * h + i;
        folded[i] = -x[a] * w[a] - x[b] * w[b];
    }
    for i in h..n {
        let a = i - h;
        let b = 3 * h - 1 - i;
        folded[i] = x[a] * w[a] - x[b] * w[b];
    }
}

/// An inverse MDCT of `N` coefficients in `f64` with the deterministic [`PlainFft`].
#[derive(Debug, Clone)]
pub struct InverseMdct {
    window: Vec<f64>,
    unfolded: Vec<f64>,
    dct: Dct4<f64, PlainFft>,
}

impl InverseMdct {
    /// An inverse MDCT with `n` coefficients (a power of two, at least 4).
    pub fn new(n: usize, shape: WindowShape) -> InverseMdct {
        InverseMdct {
            window: scaled_window(&shape.weights(2 * n), n),
            unfolded: vec![0.0; n],
            dct: Dct4::plain(n),
        }
    }

    /// The number of coefficients `N`.
    pub fn len(&self) -> usize {
        self.dct.len()
    }

    /// True for a zero-size transform.
    pub fn is_empty(&self) -> bool {
        self.dct.is_empty()
    }

    /// Transforms `coeffs` (`N`) into `output` (`2N` windowed samples, to be overlap-added
    /// with the neighbouring blocks).
    pub fn inverse(&mut self, coeffs: &[f32], output: &mut [f64]) {
        self.unfold(coeffs, output);
        for (o, w) in output[..2 * self.unfolded.len()]
            .iter_mut()
            .zip(&self.window)
        {
            *o *= w;
        }
    }

    /// As [`InverseMdct::inverse`] with another window of `2N` weights, already multiplied
    /// by `√(2/N)` (block switching uses it).
    pub fn inverse_with_window(&mut self, coeffs: &[f32], window: &[f64], output: &mut [f64]) {
        self.unfold(coeffs, output);
        for (o, w) in output[..2 * self.unfolded.len()].iter_mut().zip(window) {
            *o *= w;
        }
    }

    /// The DCT-IV of the coefficients (its own inverse up to the scale in the window),
    /// unfolded into `2N` samples before windowing.
    fn unfold(&mut self, coeffs: &[f32], output: &mut [f64]) {
        let n = self.unfolded.len();
        let h = n / 2;
        self.dct.apply(&coeffs[..n], &mut self.unfolded);
        // The transpose of the forward folding.
        let u = &self.unfolded;
        let out = &mut output[..2 * n];
        for i in 0..h {
            out[3 * h - 1 - i] = -u[i];
            out[3 * h + i] = -u[i];
        }
        for i in h..n {
            out[i - h] = u[i];
            out[3 * h - 1 - i] = -u[i];
        }
    }
}

/// The O(N²) windowed MDCT by its definition (see the module docs).
pub fn naive_mdct(input: &[f64], window: &[f64]) -> Vec<f64> {
    let n = input.len() / 2;
    let scale = (2.0 / n as f64).sqrt();
    (0..n)
        .map(|k| {
            scale
                * (0..2 * n)
                    .map(|i| {
                        window[i]
                            * input[i]
                            * (std::f64::consts::PI / n as f64
                                * (i as f64 + 0.5 + n as f64 / 2.0)
                                * (k as f64 + 0.5))
                                .cos()
                    })
                    .sum::<f64>()
        })
        .collect()
}

/// The O(N²) windowed inverse MDCT by its definition: `2N` samples.
pub fn naive_imdct(coeffs: &[f64], window: &[f64]) -> Vec<f64> {
    let n = coeffs.len();
    let scale = (2.0 / n as f64).sqrt();
    (0..2 * n)
        .map(|i| {
            scale
                * window[i]
                * (0..n)
                    .map(|k| {
                        coeffs[k]
                            * (std::f64::consts::PI / n as f64
                                * (i as f64 + 0.5 + n as f64 / 2.0)
                                * (k as f64 + 0.5))
                                .cos()
                    })
                    .sum::<f64>()
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Seeded uniform samples in [-1, 1) for the transform tests.
    pub(crate) fn seeded(len: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn fast_matches_naive() {
        for shape in [WindowShape::Sine, WindowShape::Kbd] {
            for n in [4usize, 16, 128, 1024] {
                let x = seeded(2 * n, n as u64);
                let w = shape.weights(2 * n);
                let want = naive_mdct(&x, &w);
                let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                let mut got = vec![0.0f32; n];
                Mdct::new(n, shape).forward(&x32, &mut got);
                for k in 0..n {
                    assert!((got[k] as f64 - want[k]).abs() < 1e-4, "{n} {k}");
                }
                let want_back = naive_imdct(&want, &w);
                let c32: Vec<f32> = want.iter().map(|&v| v as f32).collect();
                let mut back = vec![0.0f64; 2 * n];
                InverseMdct::new(n, shape).inverse(&c32, &mut back);
                for i in 0..2 * n {
                    assert!((back[i] - want_back[i]).abs() < 1e-5, "{n} {i}");
                }
            }
        }
    }

    #[test]
    fn perfect_reconstruction() {
        // Overlap-adding consecutive inverse blocks gives the input back (TDAC).
        let n = 256;
        let blocks = 8;
        let mut signal = vec![0.0f64; n];
        signal.extend(seeded(blocks * n, 7));
        signal.extend(vec![0.0; n]);
        let mut fwd = Mdct::new(n, WindowShape::Sine);
        let mut inv = InverseMdct::new(n, WindowShape::Sine);
        let mut out = vec![0.0f64; signal.len()];
        let mut coeffs = vec![0.0f32; n];
        let mut block = vec![0.0f64; 2 * n];
        for b in 0..=blocks {
            let x: Vec<f32> = signal[b * n..b * n + 2 * n]
                .iter()
                .map(|&v| v as f32)
                .collect();
            fwd.forward(&x, &mut coeffs);
            inv.inverse(&coeffs, &mut block);
            for i in 0..2 * n {
                out[b * n + i] += block[i];
            }
        }
        for i in n..(blocks + 1) * n {
            assert!((out[i] - signal[i]).abs() < 1e-5, "{i}");
        }
        // Orthogonality: the coefficient energy equals the signal energy.
        let naive_energy: f64 = (0..=blocks)
            .map(|b| {
                naive_mdct(
                    &signal[b * n..b * n + 2 * n],
                    &WindowShape::Sine.weights(2 * n),
                )
                .iter()
                .map(|c| c * c)
                .sum::<f64>()
            })
            .sum();
        let energy: f64 = signal.iter().map(|v| v * v).sum();
        assert!((naive_energy - energy).abs() < 1e-9 * energy);
    }
}
