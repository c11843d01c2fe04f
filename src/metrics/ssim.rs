//! SSIM (structural similarity) of two 8-bit planes, as Wang et al. (2004) define it.
//!
//! Input: two planes of the same size, at least 11×11 (a [`PlaneRef`], a grayscale `&[u8]`, or
//! an interleaved RGB8 picture reduced to its BT.601 full-range luma, rounded to 8 bits as in
//! [`super::psnr`]). Output: the mean SSIM, 1.0 for identical planes. The local means,
//! variances and covariance are weighted by a Gaussian window with σ = 1.5 truncated to 11×11
//! (radius `int(3.5 σ + 0.5) = 5`, weights normalised to sum 1), variances are population
//! ones (divided by N), and K1 = 0.01, K2 = 0.03, L = 255:
//!
//! ```text
//! SSIM = (2 μa μb + C1)(2 σab + C2) / ((μa² + μb² + C1)(σa² + σb² + C2))
//! C1 = (K1 L)², C2 = (K2 L)²
//! ```
//!
//! The mean is taken over the valid region only, the pixels at least 5 away from every edge,
//! which is what scikit-image's `structural_similarity(gaussian_weights=True, sigma=1.5,
//! use_sample_covariance=False, data_range=255)` averages after cropping its border, so no edge
//! padding is ever needed. The filter is separable and runs in `f32` on samples centred on 128
//! (which keeps the variance differences exact to about 1e-3), first along each row and then
//! down the columns through a ring of 11 filtered rows; the SSIM formula and the mean are in
//! `f64`. Agreement with scikit-image is checked to 1e-3 by the fixture tests (it is near 1e-7).

use super::psnr::rgb_to_luma;
use super::{check_interleaved, check_same_size, PlaneRef};
use crate::error::{Error, Result};

/// Side of the Gaussian window, in samples.
pub const WINDOW: usize = 11;
/// Standard deviation of the Gaussian window, in samples.
pub const SIGMA: f64 = 1.5;
/// The luminance stabiliser constant K1.
pub const K1: f64 = 0.01;
/// The contrast stabiliser constant K2.
pub const K2: f64 = 0.03;

const RADIUS: usize = WINDOW / 2;
/// Number of quantities filtered: a, b, a², b², ab.
const QUANTITIES: usize = 5;

/// The half window `g[0..=RADIUS]`, `g[0]` the centre weight, normalised over the full window.
fn half_kernel() -> [f32; RADIUS + 1] {
    let mut w = [0.0f64; RADIUS + 1];
    for (i, v) in w.iter_mut().enumerate() {
        let x = i as f64;
        *v = (-0.5 * x * x / (SIGMA * SIGMA)).exp();
    }
    let total = w[0] + 2.0 * w[1..].iter().sum::<f64>();
    let mut out = [0.0f32; RADIUS + 1];
    for (o, v) in out.iter_mut().zip(w) {
        *o = (v / total) as f32;
    }
    out
}

/// `out[x] = Σ_k g[|k|] src[x + RADIUS + k]` for `k` in `-RADIUS..=RADIUS`, for every `x` of
/// `out`; `src` is `out.len() + 2 * RADIUS` long.
fn filter_row(src: &[f32], out: &mut [f32], g: &[f32; RADIUS + 1]) {
    let n = out.len();
    for (o, &s) in out.iter_mut().zip(&src[RADIUS..RADIUS + n]) {
        *o = g[0] * s;
    }
    for (k, &gk) in g.iter().enumerate().skip(1) {
        let left = &src[RADIUS - k..RADIUS - k + n];
        let right = &src[RADIUS + k..RADIUS + k + n];
        for ((o, &l), &r) in out.iter_mut().zip(left).zip(right) {
            *o += gk * (l + r);
        }
    }
}

/// Mean SSIM of two 8-bit planes of the same size, each at least 11×11.
///
/// Sizes that differ or are too small are an [`Error::InvalidArgument`].
pub fn ssim(a: PlaneRef<'_>, b: PlaneRef<'_>) -> Result<f64> {
    check_same_size(&a, &b)?;
    let (w, h) = (a.width, a.height);
    if w < WINDOW || h < WINDOW {
        return Err(Error::InvalidArgument(format!(
            "SSIM needs planes of at least {WINDOW}x{WINDOW}, got {w}x{h}"
        )));
    }
    let g = half_kernel();
    let wo = w - 2 * RADIUS;
    let ho = h - 2 * RADIUS;
    let c1 = (K1 * 255.0) * (K1 * 255.0);
    let c2 = (K2 * 255.0) * (K2 * 255.0);

    // Centred input rows and their products, reused for every row.
    let mut src = vec![0.0f32; QUANTITIES * w];
    // Row-filtered quantities of the last WINDOW rows: ring[slot][quantity][x].
    let mut ring = vec![0.0f32; WINDOW * QUANTITIES * wo];
    // Fully filtered quantities of one output row.
    let mut acc = vec![0.0f32; QUANTITIES * wo];
    let mut total = 0.0f64;

    for r in 0..h {
        let (ra, rb) = (a.row(r), b.row(r));
        {
            let (sa, rest) = src.split_at_mut(w);
            let (sb, rest) = rest.split_at_mut(w);
            let (saa, rest) = rest.split_at_mut(w);
            let (sbb, sab) = rest.split_at_mut(w);
            for x in 0..w {
                let va = f32::from(ra[x]) - 128.0;
                let vb = f32::from(rb[x]) - 128.0;
                sa[x] = va;
                sb[x] = vb;
                saa[x] = va * va;
                sbb[x] = vb * vb;
                sab[x] = va * vb;
            }
        }
        let slot = r % WINDOW;
        let dst = &mut ring[slot * QUANTITIES * wo..(slot + 1) * QUANTITIES * wo];
        for (s, d) in src.chunks_exact(w).zip(dst.chunks_exact_mut(wo)) {
            filter_row(s, d, &g);
        }
        if r + 1 < WINDOW {
            continue;
        }
        // Rows r - 10 ..= r are in the ring; the output row is their centre, r - 5.
        let centre = (r - RADIUS) % WINDOW;
        let row_at = |slot: usize, q: usize| {
            let start = (slot * QUANTITIES + q) * wo;
            &ring[start..start + wo]
        };
        for (q, out) in acc.chunks_exact_mut(wo).enumerate() {
            for (o, &s) in out.iter_mut().zip(row_at(centre, q)) {
                *o = g[0] * s;
            }
            for (k, &gk) in g.iter().enumerate().skip(1) {
                let up = row_at((centre + WINDOW - k) % WINDOW, q);
                let down = row_at((centre + k) % WINDOW, q);
                for ((o, &u), &d) in out.iter_mut().zip(up).zip(down) {
                    *o += gk * (u + d);
                }
            }
        }
        let (ma, rest) = acc.split_at(wo);
        let (mb, rest) = rest.split_at(wo);
        let (maa, rest) = rest.split_at(wo);
        let (mbb, mab) = rest.split_at(wo);
        let mut row_sum = 0.0f64;
        for x in 0..wo {
            let (ua, ub) = (f64::from(ma[x]), f64::from(mb[x]));
            let va = f64::from(maa[x]) - ua * ua;
            let vb = f64::from(mbb[x]) - ub * ub;
            let vab = f64::from(mab[x]) - ua * ub;
            let (mu_a, mu_b) = (ua + 128.0, ub + 128.0);
            let num = (2.0 * mu_a * mu_b + c1) * (2.0 * vab + c2);
            let den = (mu_a * mu_a + mu_b * mu_b + c1) * (va + vb + c2);
            row_sum += num / den;
        }
        total += row_sum;
    }
    Ok(total / (wo as f64 * ho as f64))
}

/// Mean SSIM of two 8-bit grayscale pictures of `width * height` bytes each.
pub fn ssim_gray(a: &[u8], b: &[u8], width: usize, height: usize) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::InvalidArgument(format!(
            "pictures differ in size: the reference has {} bytes and the test {} bytes",
            a.len(),
            b.len()
        )));
    }
    check_interleaved(a, width, height, 1)?;
    ssim(
        PlaneRef::packed(a, width, height)?,
        PlaneRef::packed(b, width, height)?,
    )
}

/// Mean SSIM of the BT.601 full-range luma (rounded to 8 bits) of two interleaved RGB8
/// pictures of `width * height * 3` bytes each.
pub fn ssim_rgb_y(a_rgb: &[u8], b_rgb: &[u8], width: usize, height: usize) -> Result<f64> {
    if a_rgb.len() != b_rgb.len() {
        return Err(Error::InvalidArgument(format!(
            "pictures differ in size: the reference has {} bytes and the test {} bytes",
            a_rgb.len(),
            b_rgb.len()
        )));
    }
    let ya = rgb_to_luma(a_rgb, width, height)?;
    let yb = rgb_to_luma(b_rgb, width, height)?;
    ssim_gray(&ya, &yb, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random byte sequence (xorshift).
    fn noise(n: usize, seed: u32, amplitude: i32) -> Vec<i32> {
        let mut s = seed.max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % (2 * amplitude as u32 + 1)) as i32 - amplitude
            })
            .collect()
    }

    fn picture(w: usize, h: usize) -> Vec<u8> {
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                (128.0 + 60.0 * (x / 5.0).sin() + 40.0 * (y / 3.0).cos()) as u8
            })
            .collect()
    }

    fn add(p: &[u8], n: &[i32]) -> Vec<u8> {
        p.iter()
            .zip(n)
            .map(|(&v, &d)| (i32::from(v) + d).clamp(0, 255) as u8)
            .collect()
    }

    #[test]
    fn agrees_with_scikit_image() {
        for (p, a, b) in super::super::psnr::tests::fixtures() {
            let got = ssim_rgb_y(a, b, p.width, p.height).unwrap();
            assert!(
                (got - p.ssim_y).abs() < 1e-3,
                "{}: {got} vs {}",
                p.name,
                p.ssim_y
            );
            assert!((got - p.ssim_y).abs() < 1e-5, "{}: tighter", p.name);
        }
    }

    #[test]
    fn identical_is_one() {
        let p = picture(40, 30);
        let s = ssim_gray(&p, &p, 40, 30).unwrap();
        assert!((s - 1.0).abs() < 1e-6, "{s}");
        let flat = vec![77u8; 15 * 11];
        assert!((ssim_gray(&flat, &flat, 15, 11).unwrap() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn decreases_with_noise() {
        let (w, h) = (48, 32);
        let p = picture(w, h);
        let mut last = 1.0;
        for amplitude in [2, 8, 24, 64] {
            let q = add(&p, &noise(w * h, 12345, amplitude));
            let s = ssim_gray(&p, &q, w, h).unwrap();
            assert!(s < last, "amplitude {amplitude}: {s} !< {last}");
            last = s;
        }
        assert!(last < 0.5);
    }

    #[test]
    fn strided_equals_packed() {
        let (w, h) = (20, 14);
        let p = picture(w, h);
        let q = add(&p, &noise(w * h, 9, 10));
        let mut padded = vec![255u8; (w + 3) * h];
        for r in 0..h {
            padded[r * (w + 3)..r * (w + 3) + w].copy_from_slice(&q[r * w..(r + 1) * w]);
        }
        let strided = PlaneRef {
            width: w,
            height: h,
            stride: w + 3,
            data: &padded,
        };
        let a = ssim(PlaneRef::packed(&p, w, h).unwrap(), strided).unwrap();
        assert_eq!(a, ssim_gray(&p, &q, w, h).unwrap());
    }

    #[test]
    fn errors() {
        let message = |r: Result<f64>| r.expect_err("must be refused").to_string();
        // Too small for the window, with byte counts that match the sizes.
        let p = vec![0u8; 10 * 20];
        assert!(message(ssim_gray(&p, &p, 10, 20)).contains("at least 11x11"));
        assert!(message(ssim_gray(&p, &p, 20, 10)).contains("at least 11x11"));
        let q = vec![0u8; 11 * 11];
        assert!(ssim_gray(&q, &q, 11, 11).is_ok());
        // Byte counts that differ from each other or from the sizes.
        let p = vec![0u8; 20 * 11];
        assert!(message(ssim_gray(&p, &p[..219], 20, 11)).contains("differ in size"));
        assert!(ssim_gray(&p, &p, 20, 12).is_err());
        let rgb = vec![0u8; 12 * 12 * 3];
        assert!(ssim_rgb_y(&rgb, &rgb[3..], 12, 12).is_err());
        assert!(ssim_rgb_y(&rgb, &rgb, 12, 12).is_ok());
    }
}
