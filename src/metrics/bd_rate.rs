//! Bjøntegaard delta rate and delta quality between two rate-quality curves.
//!
//! Input: two curves of `(rate, quality)` points (rate in any positive unit, kbps or bytes,
//! the same for both curves; quality in dB or any other score that rises with rate), the anchor
//! and the test, in any order. Output: the average rate difference of the test against the
//! anchor at equal quality, in percent (negative: the test needs fewer bits), or the average
//! quality difference at equal rate (BD-PSNR when the quality is a PSNR).
//!
//! Both curves are modelled as `log10(rate)` against quality (for the delta quality, quality
//! against `log10(rate)`), integrated over the interval where the two curves overlap, and the
//! difference of the integrals is divided by the interval's length; a mean log-rate difference
//! `d` is reported as `(10^d - 1) * 100` percent. Two models are offered:
//!
//! * [`BdMethod::Pchip`] (the default): piecewise cubic Hermite interpolation through the points,
//!   integrated exactly, as in the JCT-VC/JVET common test conditions' spreadsheet and the
//!   `bjontegaard` Python package (`method='pchip'`). The slopes are the shape-preserving
//!   Fritsch–Carlson ones that package takes from SciPy's `PchipInterpolator`: at an interior
//!   point the weighted harmonic mean of the two neighbouring secant slopes, `(w1 + w2) /
//!   (w1 / m_left + w2 / m_right)` with `w1 = 2 h_right + h_left`, `w2 = h_right + 2 h_left`,
//!   or 0 where the secants differ in sign or one is 0; at an end the one-sided three-point
//!   estimate `((2 h0 + h1) m0 - h0 m1) / (h0 + h1)`, set to 0 if its sign differs from `m0`'s
//!   and to `3 m0` if the secants differ in sign and it exceeds `3 |m0|`; with only two points the
//!   curve is the straight line. Needs at least 2 points per curve.
//! * [`BdMethod::Cubic`]: the classic VCEG-M33 model, one cubic polynomial fitted by least
//!   squares through all the points (exact through 4 points), integrated exactly. Needs at least
//!   4 points per curve.
//!
//! The two curves may have different numbers of points. Each curve's qualities must be distinct,
//! and the curve monotonic: sorted by quality, its rates must rise strictly. A rate that is not
//! finite and positive, a quality that is not finite, too few points, a non-monotonic curve or
//! curves that do not overlap are an [`Error::InvalidArgument`]. A curve against itself gives
//! exactly 0. The fixture tests check both methods against the `bjontegaard` package to 1e-4
//! percent and 1e-4 dB.

use crate::error::{Error, Result};

/// How a rate-quality curve is modelled between its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BdMethod {
    /// Piecewise cubic Hermite interpolation (JVET/AOM common test conditions). At least 2 points.
    #[default]
    Pchip,
    /// One least-squares cubic polynomial (VCEG-M33). At least 4 points.
    Cubic,
}

impl BdMethod {
    fn min_points(self) -> usize {
        match self {
            BdMethod::Pchip => 2,
            BdMethod::Cubic => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            BdMethod::Pchip => "pchip",
            BdMethod::Cubic => "cubic",
        }
    }
}

/// Bjøntegaard delta rate of `test` against `anchor`, in percent: the mean rate difference at
/// equal quality over the quality interval both curves cover. Points are `(rate, quality)`.
pub fn bd_rate(anchor: &[(f64, f64)], test: &[(f64, f64)], method: BdMethod) -> Result<f64> {
    let a = prepare(anchor, "anchor", method)?;
    let t = prepare(test, "test", method)?;
    let swap = |c: &[(f64, f64)]| c.iter().map(|&(lr, q)| (q, lr)).collect::<Vec<_>>();
    let d = mean_difference(&swap(&a), &swap(&t), method, "quality")?;
    Ok((10f64.powf(d) - 1.0) * 100.0)
}

/// Bjøntegaard delta quality (BD-PSNR when the quality is a PSNR) of `test` against `anchor`:
/// the mean quality difference at equal rate over the log-rate interval both curves cover, in
/// the quality's own unit. Points are `(rate, quality)`.
pub fn bd_quality(anchor: &[(f64, f64)], test: &[(f64, f64)], method: BdMethod) -> Result<f64> {
    let a = prepare(anchor, "anchor", method)?;
    let t = prepare(test, "test", method)?;
    mean_difference(&a, &t, method, "rate")
}

/// Checks a curve and returns its points as `(log10 rate, quality)`, sorted by quality.
fn prepare(points: &[(f64, f64)], which: &str, method: BdMethod) -> Result<Vec<(f64, f64)>> {
    if points.len() < method.min_points() {
        return Err(Error::InvalidArgument(format!(
            "the {which} curve has {} point(s); BD with {} interpolation needs at least {}",
            points.len(),
            method.name(),
            method.min_points()
        )));
    }
    let mut out = Vec::with_capacity(points.len());
    for (i, &(rate, quality)) in points.iter().enumerate() {
        if !(rate.is_finite() && rate > 0.0 && quality.is_finite()) {
            return Err(Error::InvalidArgument(format!(
                "{which} point {i} ({rate}, {quality}): the rate must be finite and positive \
                 and the quality finite"
            )));
        }
        out.push((rate.log10(), quality));
    }
    out.sort_by(|p, q| p.1.total_cmp(&q.1));
    for (i, pair) in out.windows(2).enumerate() {
        let (lo, hi) = (pair[0], pair[1]);
        if hi.1 <= lo.1 {
            return Err(Error::InvalidArgument(format!(
                "the {which} curve has two points of quality {}",
                lo.1
            )));
        }
        if hi.0 <= lo.0 {
            return Err(Error::InvalidArgument(format!(
                "the {which} curve is not monotonic: its rate does not rise from quality {} \
                 (rate {}) to quality {} (rate {}), points sorted by quality, {} and {}",
                lo.1,
                10f64.powf(lo.0),
                hi.1,
                10f64.powf(hi.0),
                i,
                i + 1
            )));
        }
    }
    Ok(out)
}

/// Mean of `f_test - f_anchor` over the overlap of the two curves' x ranges. Each curve is
/// `(x, y)` sorted by strictly rising x. `axis` names x in the error.
fn mean_difference(
    anchor: &[(f64, f64)],
    test: &[(f64, f64)],
    method: BdMethod,
    axis: &str,
) -> Result<f64> {
    let range = |c: &[(f64, f64)]| (c[0].0, c[c.len() - 1].0);
    let (a_lo, a_hi) = range(anchor);
    let (t_lo, t_hi) = range(test);
    let lo = a_lo.max(t_lo);
    let hi = a_hi.min(t_hi);
    if hi <= lo {
        let shown = |v: f64| if axis == "rate" { 10f64.powf(v) } else { v };
        return Err(Error::InvalidArgument(format!(
            "the curves do not overlap in {axis}: the anchor covers {} to {}, the test {} to {}",
            shown(a_lo),
            shown(a_hi),
            shown(t_lo),
            shown(t_hi)
        )));
    }
    let integral = |c: &[(f64, f64)]| match method {
        BdMethod::Pchip => Ok(pchip_integral(c, lo, hi)),
        BdMethod::Cubic => cubic_integral(c, lo, hi),
    };
    Ok((integral(test)? - integral(anchor)?) / (hi - lo))
}

/// The shape-preserving slopes at each point of a PCHIP curve.
fn pchip_slopes(c: &[(f64, f64)]) -> Vec<f64> {
    let n = c.len();
    let h: Vec<f64> = c.windows(2).map(|p| p[1].0 - p[0].0).collect();
    let m: Vec<f64> = c
        .windows(2)
        .zip(&h)
        .map(|(p, &hk)| (p[1].1 - p[0].1) / hk)
        .collect();
    if n == 2 {
        return vec![m[0], m[0]];
    }
    let mut d = vec![0.0; n];
    for k in 1..n - 1 {
        let (ml, mr) = (m[k - 1], m[k]);
        if ml == 0.0 || mr == 0.0 || (ml > 0.0) != (mr > 0.0) {
            continue;
        }
        let w1 = 2.0 * h[k] + h[k - 1];
        let w2 = h[k] + 2.0 * h[k - 1];
        d[k] = 1.0 / ((w1 / ml + w2 / mr) / (w1 + w2));
    }
    d[0] = end_slope(h[0], h[1], m[0], m[1]);
    d[n - 1] = end_slope(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
    d
}

/// One-sided three-point slope at an end, kept shape-preserving.
fn end_slope(h0: f64, h1: f64, m0: f64, m1: f64) -> f64 {
    // Sign as -1, 0 or 1 (0 for 0, unlike f64::signum).
    fn sign(v: f64) -> i8 {
        (v > 0.0) as i8 - (v < 0.0) as i8
    }
    let d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
    if sign(d) != sign(m0) {
        0.0
    } else if sign(m0) != sign(m1) && d.abs() > 3.0 * m0.abs() {
        3.0 * m0
    } else {
        d
    }
}

/// Exact integral of the PCHIP curve through `c` over `[lo, hi]`, inside its x range.
fn pchip_integral(c: &[(f64, f64)], lo: f64, hi: f64) -> f64 {
    // Antiderivatives of the four cubic Hermite basis functions on t in [0, 1].
    fn basis(t: f64) -> [f64; 4] {
        let (t2, t3, t4) = (t * t, t * t * t, t * t * t * t);
        [
            t4 / 2.0 - t3 + t,
            t4 / 4.0 - 2.0 * t3 / 3.0 + t2 / 2.0,
            -t4 / 2.0 + t3,
            t4 / 4.0 - t3 / 3.0,
        ]
    }
    let d = pchip_slopes(c);
    let mut total = 0.0;
    for k in 0..c.len() - 1 {
        let (x0, y0) = c[k];
        let (x1, y1) = c[k + 1];
        let (a, b) = (lo.max(x0), hi.min(x1));
        if b <= a {
            continue;
        }
        let h = x1 - x0;
        let (ta, tb) = ((a - x0) / h, (b - x0) / h);
        let (fa, fb) = (basis(ta), basis(tb));
        let coef = [y0, h * d[k], y1, h * d[k + 1]];
        let mut seg = 0.0;
        for i in 0..4 {
            seg += coef[i] * (fb[i] - fa[i]);
        }
        total += h * seg;
    }
    total
}

/// Exact integral over `[lo, hi]` of the least-squares cubic through `c` (at least 4 points).
///
/// The fit is made in `u = (x - centre) / half_width`, which maps the points onto [-1, 1] and
/// keeps the problem well conditioned, by Householder QR; a least-squares cubic does not depend
/// on that change of variable.
fn cubic_integral(c: &[(f64, f64)], lo: f64, hi: f64) -> Result<f64> {
    let (x_min, x_max) = (c[0].0, c[c.len() - 1].0);
    let centre = (x_min + x_max) / 2.0;
    let scale = (x_max - x_min) / 2.0;
    let mut a: Vec<[f64; 4]> = c
        .iter()
        .map(|&(x, _)| {
            let u = (x - centre) / scale;
            [1.0, u, u * u, u * u * u]
        })
        .collect();
    let mut b: Vec<f64> = c.iter().map(|&(_, y)| y).collect();
    for j in 0..4 {
        let norm = a[j..].iter().map(|row| row[j] * row[j]).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if a[j][j] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = a[j..].iter().map(|row| row[j]).collect();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|e| e * e).sum();
        if vv == 0.0 {
            continue;
        }
        // Reflect the remaining columns and the right-hand side: x -= 2 v (v . x) / (v . v).
        for col in j..4 {
            let dot: f64 = a[j..].iter().zip(&v).map(|(row, vi)| row[col] * vi).sum();
            let f = 2.0 * dot / vv;
            for (row, vi) in a[j..].iter_mut().zip(&v) {
                row[col] -= f * vi;
            }
        }
        let dot: f64 = b[j..].iter().zip(&v).map(|(bi, vi)| bi * vi).sum();
        let f = 2.0 * dot / vv;
        for (bi, vi) in b[j..].iter_mut().zip(&v) {
            *bi -= f * vi;
        }
    }
    let mut coef = [0.0f64; 4];
    for j in (0..4).rev() {
        let r = a[j][j];
        if r.abs() <= 1e-12 {
            return Err(Error::InvalidArgument(
                "BD cubic fit: the points do not determine a cubic".to_string(),
            ));
        }
        let s: f64 = (j + 1..4).map(|k| a[j][k] * coef[k]).sum();
        coef[j] = (b[j] - s) / r;
    }
    let primitive = |x: f64| {
        let u = (x - centre) / scale;
        coef.iter()
            .enumerate()
            .map(|(m, &cm)| cm * u.powi(m as i32 + 1) / (m as f64 + 1.0))
            .sum::<f64>()
    };
    Ok(scale * (primitive(hi) - primitive(lo)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Expected {
        bd_rate_percent: f64,
        bd_psnr_db: f64,
    }

    #[derive(Deserialize)]
    struct Set {
        name: String,
        anchor: Vec<(f64, f64)>,
        test: Vec<(f64, f64)>,
        pchip: Expected,
        cubic: Expected,
    }

    #[derive(Deserialize)]
    struct Doc {
        bd: Vec<Set>,
    }

    fn anchor() -> Vec<(f64, f64)> {
        vec![
            (9487.76, 40.037),
            (4593.60, 38.615),
            (2486.44, 36.845),
            (1358.24, 34.851),
        ]
    }

    const METHODS: [BdMethod; 2] = [BdMethod::Pchip, BdMethod::Cubic];

    #[test]
    fn agrees_with_bjontegaard_package() {
        let json = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/metrics/metrics_reference.json"
        ));
        let doc: Doc = serde_json::from_str(json).unwrap();
        assert!(doc.bd.len() >= 2);
        for set in &doc.bd {
            for (method, want) in [(BdMethod::Pchip, &set.pchip), (BdMethod::Cubic, &set.cubic)] {
                let r = bd_rate(&set.anchor, &set.test, method).unwrap();
                let q = bd_quality(&set.anchor, &set.test, method).unwrap();
                let tag = format!("{} {method:?}", set.name);
                assert!((r - want.bd_rate_percent).abs() < 1e-4, "{tag}: {r}");
                assert!((q - want.bd_psnr_db).abs() < 1e-4, "{tag}: {q}");
                // Far tighter in practice: the same arithmetic up to rounding.
                assert!((r - want.bd_rate_percent).abs() < 1e-9, "{tag} tight: {r}");
                assert!((q - want.bd_psnr_db).abs() < 1e-9, "{tag} tight: {q}");
            }
        }
    }

    #[test]
    fn against_itself_is_zero() {
        for method in METHODS {
            assert_eq!(bd_rate(&anchor(), &anchor(), method).unwrap(), 0.0);
            assert_eq!(bd_quality(&anchor(), &anchor(), method).unwrap(), 0.0);
        }
    }

    #[test]
    fn half_rate_is_minus_fifty() {
        let half: Vec<(f64, f64)> = anchor().iter().map(|&(r, q)| (r / 2.0, q)).collect();
        let better: Vec<(f64, f64)> = anchor().iter().map(|&(r, q)| (r, q + 1.0)).collect();
        for method in METHODS {
            let r = bd_rate(&anchor(), &half, method).unwrap();
            assert!((r + 50.0).abs() < 1e-9, "{method:?}: {r}");
            let r = bd_rate(&half, &anchor(), method).unwrap();
            assert!((r - 100.0).abs() < 1e-9, "{method:?}: {r}");
            let q = bd_quality(&anchor(), &better, method).unwrap();
            assert!((q - 1.0).abs() < 1e-9, "{method:?}: {q}");
        }
    }

    #[test]
    fn order_does_not_matter() {
        let mut shuffled = anchor();
        shuffled.swap(0, 2);
        shuffled.swap(1, 3);
        let test = [
            (9787.80, 40.121),
            (4469.00, 38.651),
            (2451.52, 36.970),
            (1356.24, 34.987),
        ];
        let mut rev = test;
        rev.reverse();
        for method in METHODS {
            assert_eq!(
                bd_rate(&anchor(), &test, method).unwrap(),
                bd_rate(&shuffled, &rev, method).unwrap()
            );
        }
    }

    #[test]
    fn two_point_pchip_is_linear() {
        let a = [(100.0, 30.0), (1000.0, 40.0)];
        let t = [(50.0, 30.0), (500.0, 40.0)];
        assert!((bd_rate(&a, &t, BdMethod::Pchip).unwrap() + 50.0).abs() < 1e-9);
        assert!(bd_rate(&a, &t, BdMethod::Cubic).is_err());
        assert_eq!(BdMethod::default(), BdMethod::Pchip);
    }

    #[test]
    fn errors() {
        let a = anchor();
        let e = bd_rate(&a[..3], &a, BdMethod::Cubic).unwrap_err();
        assert!(e.to_string().contains("at least 4"), "{e}");
        assert!(bd_rate(&a[..1], &a, BdMethod::Pchip).is_err());
        let far: Vec<(f64, f64)> = a.iter().map(|&(r, q)| (r, q + 20.0)).collect();
        let e = bd_rate(&a, &far, BdMethod::Pchip).unwrap_err();
        assert!(e.to_string().contains("do not overlap"), "{e}");
        let richer: Vec<(f64, f64)> = a.iter().map(|&(r, q)| (r * 1000.0, q)).collect();
        assert!(bd_quality(&a, &richer, BdMethod::Pchip).is_err());
        let mut bent = a.clone();
        bent[1].0 = 20000.0;
        let e = bd_rate(&bent, &a, BdMethod::Pchip).unwrap_err();
        assert!(e.to_string().contains("not monotonic"), "{e}");
        let mut dup = a.clone();
        dup[1].1 = dup[0].1;
        assert!(bd_rate(&a, &dup, BdMethod::Cubic).is_err());
        for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            let mut p = a.clone();
            p[2].0 = bad;
            assert!(bd_rate(&p, &a, BdMethod::Pchip).is_err());
        }
        let mut p = a.clone();
        p[0].1 = f64::NAN;
        assert!(bd_quality(&a, &p, BdMethod::Pchip).is_err());
    }
}
