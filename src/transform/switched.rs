//! Block switching for the MDCT: long frames of `N` coefficients, or eight short blocks of
//! `M = N/8` coefficients for frames that hold a transient, with transition windows that
//! keep time-domain aliasing cancellation (the AAC scheme: long, start, short, stop).
//!
//! In: `2N` samples of one frame (the previous hop and the current one) and the frame's
//! [`WindowSequence`]. Out: `N` coefficients, and back: `2N` windowed samples to overlap-add
//! with the neighbouring frames exactly as for plain long frames.
//!
//! Geometry, in frame coordinates `0..2N`, with `a = N/2 − M/2 = 7N/16`:
//! - a short frame holds eight MDCTs of `2M` samples (sine or KBD window of that length),
//!   block `b` covering `[a + bM, a + bM + 2M)`; together they cover `[a, 2N − a)` and
//!   nothing outside it. Their coefficients are interleaved: coefficient `k` of block `b` is
//!   at index `8k + b`, so index `i` of a short frame sits near the frequency of index `i`
//!   of a long frame.
//! - a long frame's window half next to a short frame is "short-sloped": zero on `[0, a)`,
//!   the rising half of the short window on `[a, a + M)`, one on `[a + M, N)` (mirrored for
//!   the second half). The slope then meets the neighbouring short block's slope around the
//!   same centre with the same shape, and the long MDCT's aliasing there (mirrored about
//!   `N/2`, or `3N/2`) cancels the short block's (mirrored about the same point); on the flat
//!   and zero parts the long window has no aliasing at all. Two short frames in a row meet
//!   as two short blocks do.
//!
//! So a frame's window depends on whether it is short and whether each neighbour is:
//! [`WindowSequence::from_neighbours`]. Every sequence of short and long frames reconstructs
//! perfectly without quantization (tested below through every transition).
//!
//! [`SwitchedMdct`] is the encoder's forward transform (rustfft, `f32`);
//! [`SwitchedInverseMdct`] the decoder's inverse (deterministic `f64`), like
//! [`super::mdct`].

use super::mdct::{scaled_window, InverseMdct, Mdct};
use super::window::WindowShape;

/// Short blocks in a short frame.
pub const SHORT_BLOCKS: usize = 8;

/// The window of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSequence {
    /// One long MDCT, long slopes on both sides.
    Long,
    /// Long, followed by a short frame: its second half is short-sloped.
    Start,
    /// Eight short MDCTs.
    Short,
    /// Long, after a short frame: its first half is short-sloped.
    Stop,
    /// Long between two short frames: both halves short-sloped.
    StopStart,
}

impl WindowSequence {
    /// The window of a frame that is `short` or not, between neighbours that are or are not.
    pub fn from_neighbours(previous_short: bool, short: bool, next_short: bool) -> Self {
        match (short, previous_short, next_short) {
            (true, _, _) => WindowSequence::Short,
            (false, false, false) => WindowSequence::Long,
            (false, false, true) => WindowSequence::Start,
            (false, true, false) => WindowSequence::Stop,
            (false, true, true) => WindowSequence::StopStart,
        }
    }

    /// A long frame's window from its two halves (true: short-sloped).
    pub fn long_from_halves(short_before: bool, short_after: bool) -> Self {
        WindowSequence::from_neighbours(short_before, false, short_after)
    }

    /// Eight short blocks.
    pub fn is_short(self) -> bool {
        self == WindowSequence::Short
    }

    /// The first half meets a short frame.
    pub fn short_before(self) -> bool {
        matches!(
            self,
            WindowSequence::Short | WindowSequence::Stop | WindowSequence::StopStart
        )
    }

    /// The second half meets a short frame.
    pub fn short_after(self) -> bool {
        matches!(
            self,
            WindowSequence::Short | WindowSequence::Start | WindowSequence::StopStart
        )
    }

    /// Index of a long window among the four long variants.
    fn long_index(self) -> usize {
        self.short_before() as usize + 2 * self.short_after() as usize
    }
}

/// The `2N` weights of a long window whose halves are short-sloped or not (not scaled).
pub fn long_window(
    shape: WindowShape,
    n: usize,
    short_before: bool,
    short_after: bool,
) -> Vec<f64> {
    let m = n / SHORT_BLOCKS;
    let a = n / 2 - m / 2;
    let long = shape.weights(2 * n);
    let short = shape.weights(2 * m);
    let mut w = long.clone();
    if short_before {
        for (i, v) in w[..n].iter_mut().enumerate() {
            *v = if i < a {
                0.0
            } else if i < a + m {
                short[i - a]
            } else {
                1.0
            };
        }
    }
    if short_after {
        // The mirror image of the first half.
        for i in 0..n {
            w[2 * n - 1 - i] = if i < a {
                0.0
            } else if i < a + m {
                short[i - a]
            } else {
                1.0
            };
        }
    }
    w
}

/// The four long windows of a frame of `n` coefficients, indexed by
/// [`WindowSequence::long_index`], each multiplied by `√(2/N)` like the MDCT's own window.
fn scaled_long_windows(shape: WindowShape, n: usize) -> [Vec<f64>; 4] {
    [(false, false), (true, false), (false, true), (true, true)]
        .map(|(before, after)| scaled_window(&long_window(shape, n, before, after), n))
}

/// Where short block `b` starts in a frame of `n` coefficients.
fn short_block_start(n: usize, b: usize) -> usize {
    let m = n / SHORT_BLOCKS;
    n / 2 - m / 2 + b * m
}

/// The forward switched MDCT (encoder), planned once; no allocation per frame.
#[derive(Debug, Clone)]
pub struct SwitchedMdct {
    long: Mdct,
    short: Mdct,
    /// The four long windows (see [`WindowSequence::long_index`]), scaled by `√(2/N)`.
    windows: [Vec<f32>; 4],
    block: Vec<f32>,
}

impl SwitchedMdct {
    /// A transform of `n` coefficients per frame (a power of two, at least 32).
    pub fn new(n: usize, shape: WindowShape) -> SwitchedMdct {
        SwitchedMdct {
            long: Mdct::new(n, shape),
            short: Mdct::new(n / SHORT_BLOCKS, shape),
            windows: scaled_long_windows(shape, n).map(|w| w.iter().map(|&v| v as f32).collect()),
            block: vec![0.0; n / SHORT_BLOCKS],
        }
    }

    /// Coefficients per frame `N`.
    pub fn len(&self) -> usize {
        self.long.len()
    }

    /// True for a zero-size transform.
    pub fn is_empty(&self) -> bool {
        self.long.is_empty()
    }

    /// Transforms one frame's `2N` samples into `N` coefficients (interleaved for short
    /// frames).
    pub fn forward(&mut self, input: &[f32], sequence: WindowSequence, output: &mut [f32]) {
        let n = self.long.len();
        if !sequence.is_short() {
            let window = &self.windows[sequence.long_index()];
            self.long.forward_with_window(input, window, output);
            return;
        }
        let m = n / SHORT_BLOCKS;
        for b in 0..SHORT_BLOCKS {
            let start = short_block_start(n, b);
            self.short
                .forward(&input[start..start + 2 * m], &mut self.block);
            for (k, &c) in self.block.iter().enumerate() {
                output[k * SHORT_BLOCKS + b] = c;
            }
        }
    }
}

/// The inverse switched MDCT (decoder), in deterministic `f64`.
#[derive(Debug, Clone)]
pub struct SwitchedInverseMdct {
    long: InverseMdct,
    short: InverseMdct,
    windows: [Vec<f64>; 4],
    coeffs: Vec<f32>,
    block: Vec<f64>,
}

impl SwitchedInverseMdct {
    /// An inverse of `n` coefficients per frame (a power of two, at least 32).
    pub fn new(n: usize, shape: WindowShape) -> SwitchedInverseMdct {
        SwitchedInverseMdct {
            long: InverseMdct::new(n, shape),
            short: InverseMdct::new(n / SHORT_BLOCKS, shape),
            windows: scaled_long_windows(shape, n),
            coeffs: vec![0.0; n / SHORT_BLOCKS],
            block: vec![0.0; 2 * n / SHORT_BLOCKS],
        }
    }

    /// Transforms `N` coefficients into `2N` windowed samples for overlap-add.
    pub fn inverse(&mut self, coeffs: &[f32], sequence: WindowSequence, output: &mut [f64]) {
        let n = self.long.len();
        if !sequence.is_short() {
            let window = &self.windows[sequence.long_index()];
            self.long.inverse_with_window(coeffs, window, output);
            return;
        }
        let m = n / SHORT_BLOCKS;
        output[..2 * n].iter_mut().for_each(|v| *v = 0.0);
        for b in 0..SHORT_BLOCKS {
            for (k, c) in self.coeffs.iter_mut().enumerate() {
                *c = coeffs[k * SHORT_BLOCKS + b];
            }
            self.short.inverse(&self.coeffs, &mut self.block);
            let start = short_block_start(n, b);
            for (o, &v) in output[start..start + 2 * m].iter_mut().zip(&self.block) {
                *o += v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::mdct::tests::seeded;
    use crate::transform::mdct::{naive_imdct, naive_mdct};

    #[test]
    fn windows_meet_princen_bradley_across_every_transition() {
        for shape in [WindowShape::Sine, WindowShape::Kbd] {
            let n = 256;
            for (before, after) in [(false, true), (true, false), (true, true)] {
                let w = long_window(shape, n, before, after);
                // A long window meets a neighbour of the same kind on each side.
                let left = long_window(shape, n, false, before);
                let right = long_window(shape, n, after, false);
                for i in 0..n {
                    let s = left[n + i].powi(2) + w[i].powi(2);
                    let t = w[n + i].powi(2) + right[i].powi(2);
                    assert!((s - 1.0).abs() < 1e-12 && (t - 1.0).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn fast_matches_naive_for_every_window() {
        let n = 256;
        let m = n / SHORT_BLOCKS;
        for shape in [WindowShape::Sine, WindowShape::Kbd] {
            let x = seeded(2 * n, 3);
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut fwd = SwitchedMdct::new(n, shape);
            let mut inv = SwitchedInverseMdct::new(n, shape);
            let mut got = vec![0f32; n];
            let mut back = vec![0f64; 2 * n];
            for (before, after) in [(false, false), (true, false), (false, true), (true, true)] {
                let seq = WindowSequence::long_from_halves(before, after);
                let w = long_window(shape, n, before, after);
                let want = naive_mdct(&x, &w);
                fwd.forward(&x32, seq, &mut got);
                for k in 0..n {
                    assert!((got[k] as f64 - want[k]).abs() < 1e-4, "{seq:?} {k}");
                }
                let c32: Vec<f32> = want.iter().map(|&v| v as f32).collect();
                inv.inverse(&c32, seq, &mut back);
                let want_back = naive_imdct(&want, &w);
                for i in 0..2 * n {
                    assert!((back[i] - want_back[i]).abs() < 1e-5, "{seq:?} {i}");
                }
            }
            fwd.forward(&x32, WindowSequence::Short, &mut got);
            let sw = shape.weights(2 * m);
            for b in 0..SHORT_BLOCKS {
                let start = short_block_start(n, b);
                let want = naive_mdct(&x[start..start + 2 * m], &sw);
                for k in 0..m {
                    assert!((got[k * SHORT_BLOCKS + b] as f64 - want[k]).abs() < 1e-4);
                }
            }
        }
    }

    /// Codes `signal` (with a frame of zeros before and after) with the given short flags
    /// and returns the largest reconstruction error over the interior.
    fn reconstruct(n: usize, shape: WindowShape, shorts: &[bool]) -> f64 {
        let frames = shorts.len();
        let mut signal = vec![0.0f64; n];
        signal.extend(seeded((frames - 1) * n, frames as u64 + n as u64));
        signal.extend(vec![0.0; n]);
        let mut fwd = SwitchedMdct::new(n, shape);
        let mut inv = SwitchedInverseMdct::new(n, shape);
        let mut out = vec![0.0f64; signal.len()];
        let mut coeffs = vec![0f32; n];
        let mut block = vec![0f64; 2 * n];
        for j in 0..frames {
            let previous = j > 0 && shorts[j - 1];
            let next = j + 1 < frames && shorts[j + 1];
            let seq = WindowSequence::from_neighbours(previous, shorts[j], next);
            let x: Vec<f32> = signal[j * n..j * n + 2 * n]
                .iter()
                .map(|&v| v as f32)
                .collect();
            fwd.forward(&x, seq, &mut coeffs);
            inv.inverse(&coeffs, seq, &mut block);
            for i in 0..2 * n {
                out[j * n + i] += block[i];
            }
        }
        (n..frames * n)
            .map(|i| (out[i] - signal[i]).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn perfect_reconstruction_through_every_transition() {
        // long/start/short/stop in various orders: lone short frames, runs of them, a long
        // frame between two short ones (stop-start), short frames at both ends.
        let patterns: [&[u8]; 6] = [
            b"LLSLL", b"LSSSL", b"LSLSL", b"SSLLSS", b"LLLLLL", b"SLSSLLS",
        ];
        for shape in [WindowShape::Sine, WindowShape::Kbd] {
            for n in [256usize, 1024, 2048] {
                for p in patterns {
                    let shorts: Vec<bool> = p.iter().map(|&c| c == b'S').collect();
                    let err = reconstruct(n, shape, &shorts);
                    assert!(err < 2e-5, "{shape:?} {n} {}: {err}", p.escape_ascii());
                }
            }
        }
    }

    #[test]
    fn sequences_from_neighbours() {
        use WindowSequence::*;
        assert_eq!(WindowSequence::from_neighbours(false, false, false), Long);
        assert_eq!(WindowSequence::from_neighbours(false, false, true), Start);
        assert_eq!(WindowSequence::from_neighbours(true, false, false), Stop);
        assert_eq!(
            WindowSequence::from_neighbours(true, false, true),
            StopStart
        );
        assert_eq!(WindowSequence::from_neighbours(true, true, false), Short);
        for s in [Long, Start, Short, Stop, StopStart] {
            if !s.is_short() {
                assert_eq!(
                    WindowSequence::long_from_halves(s.short_before(), s.short_after()),
                    s
                );
            }
        }
    }
}
