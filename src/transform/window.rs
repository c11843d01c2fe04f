//! MDCT windows: sine and Kaiser-Bessel-derived, both satisfying the Princen-Bradley
//! condition `w[n]² + w[n + N]² = 1`, which with a symmetric window makes the windowed MDCT
//! an orthogonal lapped transform (time-domain aliasing cancels in the overlap-add).
//!
//! In: the window length `2N` (and the KBD alpha). Out: `2N` weights in `f64`. The sine
//! window is `sin(π (n + ½) / 2N)`; the KBD window follows the definition used by AAC
//! (cumulative sums of a Kaiser window of `N + 1` points, square-rooted).

/// The window shape a stream uses, stored in the audio header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowShape {
    /// `sin(π (n + ½) / 2N)`: the better frequency selectivity close to a peak.
    Sine,
    /// Kaiser-Bessel-derived with alpha 4: better far rejection.
    Kbd,
}

impl WindowShape {
    /// The header code.
    pub fn to_u8(self) -> u8 {
        match self {
            WindowShape::Sine => 0,
            WindowShape::Kbd => 1,
        }
    }

    /// Parses the header code.
    pub fn from_u8(code: u8) -> Option<WindowShape> {
        match code {
            0 => Some(WindowShape::Sine),
            1 => Some(WindowShape::Kbd),
            _ => None,
        }
    }

    /// The `len` (= 2N) weights of this shape.
    pub fn weights(self, len: usize) -> Vec<f64> {
        match self {
            WindowShape::Sine => sine_window(len),
            WindowShape::Kbd => kbd_window(len, 4.0),
        }
    }
}

/// The sine window of `len` points.
pub fn sine_window(len: usize) -> Vec<f64> {
    (0..len)
        .map(|n| (std::f64::consts::PI * (n as f64 + 0.5) / len as f64).sin())
        .collect()
}

/// Zeroth-order modified Bessel function of the first kind, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// The Kaiser-Bessel-derived window of `len` (even) points with parameter `alpha`.
pub fn kbd_window(len: usize, alpha: f64) -> Vec<f64> {
    let half = len / 2;
    let kaiser: Vec<f64> = (0..=half)
        .map(|n| {
            let r = 2.0 * n as f64 / half as f64 - 1.0;
            bessel_i0(std::f64::consts::PI * alpha * (1.0 - r * r).max(0.0).sqrt())
        })
        .collect();
    let total: f64 = kaiser.iter().sum();
    let mut out = vec![0.0; len];
    let mut running = 0.0;
    for n in 0..half {
        running += kaiser[n];
        let w = (running / total).sqrt();
        out[n] = w;
        out[len - 1 - n] = w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn princen_bradley() {
        for shape in [WindowShape::Sine, WindowShape::Kbd] {
            for len in [16usize, 256, 2048] {
                let w = shape.weights(len);
                let n = len / 2;
                for i in 0..n {
                    let s = w[i] * w[i] + w[i + n] * w[i + n];
                    assert!((s - 1.0).abs() < 1e-12, "{shape:?} {len} {i}: {s}");
                    assert!((w[i] - w[len - 1 - i]).abs() < 1e-15);
                }
            }
            assert_eq!(WindowShape::from_u8(shape.to_u8()), Some(shape));
        }
        assert_eq!(WindowShape::from_u8(9), None);
    }
}
