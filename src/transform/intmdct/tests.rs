//! Tests of the integer MDCT: exact inversion of every stage and of whole streams (mono and
//! stereo, edges included), closeness to the float MDCT, reproducibility, cost.

use super::*;
use crate::transform::mdct::naive_mdct;
use crate::transform::window::sine_window;

/// Seeded xorshift integers in `[lo, hi]`.
fn seeded(len: usize, seed: u64, lo: i32, hi: i32) -> Vec<i32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (s % (hi as i64 - lo as i64 + 1) as u64) as i32
        })
        .collect()
}

#[test]
fn lifting_rotations_invert_exactly() {
    let values = seeded(2000, 1, -40_000, 40_000);
    for step in 0..64 {
        // Angles all around the circle, including 0, ±π/2, π and next to them.
        let theta = match step {
            0 => 0.0,
            1 => std::f64::consts::PI,
            2 => 1e-12,
            3 => std::f64::consts::PI - 1e-12,
            _ => (step as f64 - 34.0) * 0.1,
        };
        let r = Lifting::new(theta.cos(), theta.sin());
        for pair in values.chunks(2) {
            let (x, y) = (pair[0], pair[1]);
            let (a, b) = r.forward(x, y);
            assert_eq!(r.inverse(a, b), (x, y), "angle {theta}");
            let fa = theta.cos() * x as f64 - theta.sin() * y as f64;
            let fb = theta.sin() * x as f64 + theta.cos() * y as f64;
            // Three roundings with factors of at most 1: a few units at most.
            assert!((a as f64 - fa).abs() <= 2.0 && (b as f64 - fb).abs() <= 1.5);
        }
    }
}

fn naive_dct4(x: &[i32]) -> Vec<f64> {
    let n = x.len();
    let scale = (2.0 / n as f64).sqrt();
    (0..n)
        .map(|k| {
            scale
                * (0..n)
                    .map(|i| {
                        x[i] as f64
                            * (std::f64::consts::PI / n as f64
                                * (i as f64 + 0.5)
                                * (k as f64 + 0.5))
                                .cos()
                    })
                    .sum::<f64>()
        })
        .collect()
}

#[test]
fn dct4_matches_its_definition() {
    for n in [4usize, 16, 256, 1024] {
        let x = seeded(n, n as u64, -32768, 32767);
        let mut got = vec![0.0; n];
        PortableDct4::portable(n).apply(&x, &mut got);
        let want = naive_dct4(&x);
        for k in 0..n {
            assert!(
                (got[k] - want[k]).abs() < 1e-6,
                "{n} {k}: {} {}",
                got[k],
                want[k]
            );
        }
    }
}

#[test]
fn dct_pair_inverts_exactly() {
    for n in [4usize, 64, 1024, 2048] {
        let mut t = IntMdct::new(n);
        for seed in 0..4 {
            let a0 = seeded(n, seed, -46_341, 46_341);
            let b0 = seeded(n, seed + 100, -46_341, 46_341);
            let (mut a, mut b) = (a0.clone(), b0.clone());
            t.dct_pair(&mut a, &mut b);
            // Close to the exact DCT-IVs.
            let (wa, wb) = (naive_dct4(&a0), naive_dct4(&b0));
            for k in 0..n {
                assert!((a[k] as f64 - wa[k]).abs() < 4.0, "{n} a[{k}]");
                assert!((b[k] as f64 - wb[k]).abs() < 4.0, "{n} b[{k}]");
            }
            t.inverse_dct_pair(&mut a, &mut b);
            assert_eq!(a, a0);
            assert_eq!(b, b0);
        }
    }
}

/// Folded vectors of every frame of one channel: frame `j` covers blocks `j-1` and `j`,
/// with zeros before the first sample and after the last; `frames` frames.
fn fold_signal(t: &IntMdct, x: &[i32], frames: usize) -> Vec<Vec<i32>> {
    let n = t.len();
    let h = n / 2;
    let mut v = vec![vec![0i32; n]; frames];
    let mut block = vec![0i32; n];
    let (mut lower, mut upper) = (vec![0i32; h], vec![0i32; h]);
    // Block m feeds frames m (lower half) and m + 1 (upper half); m = -1 is all zero.
    for m in 0..frames {
        for i in 0..n {
            block[i] = x.get(m * n + i).copied().unwrap_or(0);
        }
        t.fold(&block, &mut lower, &mut upper);
        v[m][..h].copy_from_slice(&lower);
        if m + 1 < frames {
            v[m + 1][h..].copy_from_slice(&upper);
        }
    }
    v
}

/// The samples back from folded vectors: block `m` from frames `m` and `m + 1`.
fn unfold_signal(t: &IntMdct, v: &[Vec<i32>], len: usize) -> Vec<i32> {
    let n = t.len();
    let h = n / 2;
    let mut out = Vec::new();
    let mut block = vec![0i32; n];
    for m in 0..v.len() - 1 {
        t.unfold(&v[m][..h], &v[m + 1][h..], &mut block);
        out.extend_from_slice(&block);
    }
    out.truncate(len);
    out
}

fn frame_count(len: usize, n: usize, even: bool) -> usize {
    let f = len.div_ceil(n) + 1;
    if even {
        f + f % 2
    } else {
        f
    }
}

/// Forward then inverse over a whole mono stream (consecutive frames paired) or stereo
/// stream (channels paired); returns the coefficients of channel 0.
fn round_trip(channels: &[Vec<i32>], n: usize) -> Vec<Vec<i32>> {
    let mut t = IntMdct::new(n);
    let len = channels[0].len();
    let mono = channels.len() == 1;
    let frames = frame_count(len, n, mono);
    let mut folded: Vec<Vec<Vec<i32>>> = channels
        .iter()
        .map(|x| fold_signal(&t, x, frames))
        .collect();
    let mut coeffs = folded.clone();
    if mono {
        for pair in coeffs[0].chunks_mut(2) {
            let (a, b) = pair.split_at_mut(1);
            t.dct_pair(&mut a[0], &mut b[0]);
        }
    } else {
        let (l, r) = coeffs.split_at_mut(1);
        for (a, b) in l[0].iter_mut().zip(r[0].iter_mut()) {
            t.dct_pair(a, b);
        }
    }
    let kept = coeffs[0].clone();
    if mono {
        for pair in coeffs[0].chunks_mut(2) {
            let (a, b) = pair.split_at_mut(1);
            t.inverse_dct_pair(&mut a[0], &mut b[0]);
        }
    } else {
        let (l, r) = coeffs.split_at_mut(1);
        for (a, b) in l[0].iter_mut().zip(r[0].iter_mut()) {
            t.inverse_dct_pair(a, b);
        }
    }
    assert_eq!(coeffs, folded);
    for (ch, x) in channels.iter().enumerate() {
        assert_eq!(&unfold_signal(&t, &coeffs[ch], len), x, "channel {ch}");
    }
    folded.clear();
    kept
}

#[test]
fn streams_invert_exactly() {
    let square = |len: usize, period: usize| -> Vec<i32> {
        (0..len)
            .map(|i| if (i / period) % 2 == 0 { 32767 } else { -32768 })
            .collect()
    };
    for n in [256usize, 1024] {
        // Lengths not a multiple of the frame, shorter than a frame, exactly one frame.
        for len in [1usize, n - 3, n, 7 * n + 5, 20 * n + 1] {
            let noise = seeded(len, len as u64, -32768, 32767);
            round_trip(std::slice::from_ref(&noise), n);
            round_trip(&[noise.clone(), seeded(len, 9, -32768, 32767)], n);
            round_trip(&[square(len, 37), vec![-32768; len]], n);
            round_trip(&[vec![32767; len]], n);
            let silence = round_trip(&[vec![0; len], vec![0; len]], n);
            assert!(silence.iter().flatten().all(|&c| c == 0));
        }
    }
}

#[test]
fn close_to_the_float_mdct() {
    let n = 1024;
    let len = 6 * n;
    let x = seeded(len, 5, -32768, 32767);
    let coeffs = round_trip(std::slice::from_ref(&x), n);
    let w = sine_window(2 * n);
    let mut worst = 0f64;
    for (j, c) in coeffs.iter().enumerate() {
        let input: Vec<f64> = (0..2 * n)
            .map(|i| {
                let t = (j * n + i) as i64 - n as i64;
                if t >= 0 {
                    x.get(t as usize).map_or(0.0, |&v| v as f64)
                } else {
                    0.0
                }
            })
            .collect();
        let want = naive_mdct(&input, &w);
        for k in 0..n {
            worst = worst.max((c[k] as f64 - want[k].round()).abs());
        }
    }
    // Measured: 2 on this input (white noise at full scale, N = 1024).
    assert!(worst <= 4.0, "{worst}");
}

#[test]
fn coefficients_are_reproducible() {
    // A golden checksum of the coefficients of a seeded input: any change in the tables,
    // the order of operations or the rounding (a different machine included) shows here.
    let n = 512;
    let x = seeded(4 * n, 77, -32768, 32767);
    let y = seeded(4 * n, 78, -32768, 32767);
    let mut t = IntMdct::new(n);
    let frames = frame_count(4 * n, n, false);
    let mut l = fold_signal(&t, &x, frames);
    let mut r = fold_signal(&t, &y, frames);
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for (a, b) in l.iter_mut().zip(r.iter_mut()) {
        t.dct_pair(a, b);
        for &v in a.iter().chain(b.iter()) {
            for byte in v.to_le_bytes() {
                hash = (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    assert_eq!(hash, 13_645_683_802_690_230_127);
}

/// 24-bit full scale: full-scale noise, square waves between the extremes and constant
/// extremes through whole streams, and folded vectors of the largest magnitude a window
/// rotation can give (`√2 · 2^23`) signed like a DCT-IV row (the worst case of one
/// coefficient). Everything inverts exactly and no coefficient (nor a mid/side difference
/// of two) comes near `i32`'s range: every coefficient stays below 2^29 in magnitude, the
/// bound the 24-bit coder relies on (its side values `L - R` below 2^30). Nothing wraps.
#[test]
fn full_scale_24_bit_input_stays_in_range() {
    let (lo, hi) = (-(1 << 23), (1 << 23) - 1);
    let bound = 1i64 << 29;
    let square = |len: usize, period: usize| -> Vec<i32> {
        (0..len)
            .map(|i| if (i / period) % 2 == 0 { hi } else { lo })
            .collect()
    };
    let check = |coeffs: &[Vec<i32>], what: &str| {
        let max = coeffs.iter().flatten().map(|&c| (c as i64).abs()).max();
        assert!(max.unwrap_or(0) < bound, "{what}: {max:?}");
    };
    for n in [256usize, 2048] {
        for len in [n - 1, 6 * n + 3] {
            let noise = seeded(len, len as u64 + 3, lo, hi);
            check(&round_trip(std::slice::from_ref(&noise), n), "mono noise");
            check(
                &round_trip(&[noise.clone(), seeded(len, 5, lo, hi)], n),
                "stereo noise",
            );
            for period in [1usize, 7, n / 2 + 1, n] {
                let sq = square(len, period);
                let inverted: Vec<i32> =
                    sq.iter().map(|&v| if v == hi { lo } else { hi }).collect();
                check(&round_trip(&[sq.clone(), inverted], n), "square");
                check(&round_trip(&[sq], n), "mono square");
            }
            check(&round_trip(&[vec![lo; len], vec![hi; len]], n), "extremes");
        }
        // The worst case of coefficient k: every folded value at the largest magnitude a
        // rotation of two 24-bit samples gives, with the sign of row k of the DCT-IV.
        let mut t = IntMdct::new(n);
        let peak = (2f64.sqrt() * 8_388_608.0).ceil();
        for k in [0usize, 1, n / 3, n - 1] {
            let row: Vec<i32> = (0..n)
                .map(|i| {
                    let c = (std::f64::consts::PI / n as f64 * (i as f64 + 0.5) * (k as f64 + 0.5))
                        .cos();
                    if c >= 0.0 {
                        peak as i32
                    } else {
                        -(peak as i32)
                    }
                })
                .collect();
            let negated: Vec<i32> = row.iter().map(|&v| -v).collect();
            let (mut a, mut b) = (row.clone(), negated.clone());
            t.dct_pair(&mut a, &mut b);
            check(&[a.clone(), b.clone()], "worst-case row");
            // The stereo side value of the two stays in i32 with room to spare.
            let side = (a[k] as i64 - b[k] as i64).abs();
            assert!(side < 2 * bound, "side {side}");
            assert!(a[k].unsigned_abs() as f64 > 0.5 * bound as f64 / 2.0);
            t.inverse_dct_pair(&mut a, &mut b);
            assert_eq!((a, b), (row, negated));
        }
    }
}
