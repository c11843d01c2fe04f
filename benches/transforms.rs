//! Criterion benchmarks of the block-transform family: forward, inverse and forward plus
//! inverse of 8×8 blocks for every member, over a batch of in-memory 8-bit blocks.
//!
//! Inputs are seeded random pixels (-128 to 127) and, for the inverse, their coefficients
//! dequantized exactly for the member (as `transform::analysis::round_trip_error` does).
//! Throughput is reported per block. The reference point is the exact `dct` member (f32
//! matrix forward, 13-bit integer matrix inverse): the figure of interest is each member's
//! forward-plus-inverse time against it.
//!
//! The `mdct` group times the audio transforms on two channels of 1024-coefficient frames of
//! seeded 16-bit noise: the float MDCT (rustfft forward, plain f64 inverse) against the
//! integer MDCT (window rotations as lifting steps and a DCT-IV pair by multidimensional
//! lifting), forward and inverse; throughput is per frame of both channels.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quanta::transform::intmdct::IntMdct;
use quanta::transform::mdct::{InverseMdct, Mdct};
use quanta::transform::window::WindowShape;
use quanta::transform::{transform, BlockTransform, TransformId};

const BLOCKS: usize = 1024;

struct Batch {
    pixels: Vec<[f32; 64]>,
    coeffs: Vec<[i32; 64]>,
}

fn batch(t: &dyn BlockTransform) -> Batch {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 256) as f32 - 128.0
    };
    let pixels: Vec<[f32; 64]> = (0..BLOCKS)
        .map(|_| std::array::from_fn(|_| next()))
        .collect();
    let factors = t.dequant_scales();
    let coeffs = pixels
        .iter()
        .map(|p| {
            let mut c = [0.0f32; 64];
            t.forward(p, &mut c);
            std::array::from_fn(|k| (c[k] as f64 * 16.0 * factors[k]).round() as i32)
        })
        .collect();
    Batch { pixels, coeffs }
}

fn bench_family(c: &mut Criterion) {
    for (what, run_forward, run_inverse) in [
        ("forward+inverse", true, true),
        ("forward", true, false),
        ("inverse", false, true),
    ] {
        let mut group = c.benchmark_group(format!("transform/{what}"));
        group.throughput(Throughput::Elements(BLOCKS as u64));
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        for id in TransformId::ALL {
            let t = transform(id);
            let input = batch(t);
            group.bench_function(id.name(), |b| {
                let mut coeffs = [0.0f32; 64];
                let mut pixels = [0i32; 64];
                b.iter(|| {
                    for (p, z) in input.pixels.iter().zip(&input.coeffs) {
                        if run_forward {
                            t.forward(black_box(p), &mut coeffs);
                            black_box(&coeffs);
                        }
                        if run_inverse {
                            t.inverse(black_box(z), &mut pixels);
                            black_box(&pixels);
                        }
                    }
                })
            });
        }
        group.finish();
    }
}

fn bench_mdct(c: &mut Criterion) {
    const N: usize = 1024;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 48) as u16 as i16 as i32
    };
    // Two channels, two blocks each: one frame's window.
    let samples: Vec<Vec<i32>> = (0..2)
        .map(|_| (0..2 * N).map(|_| next()).collect())
        .collect();
    let floats: Vec<Vec<f32>> = samples
        .iter()
        .map(|x| x.iter().map(|&v| v as f32 / 32768.0).collect())
        .collect();
    let mut group = c.benchmark_group("mdct");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let mut mdct = Mdct::new(N, WindowShape::Sine);
    let mut imdct = InverseMdct::new(N, WindowShape::Sine);
    let mut coeffs = vec![vec![0f32; N]; 2];
    group.bench_function("float/forward", |b| {
        b.iter(|| {
            for (x, c) in floats.iter().zip(coeffs.iter_mut()) {
                mdct.forward(black_box(x), c);
            }
        })
    });
    let mut out = vec![0f64; 2 * N];
    group.bench_function("float/inverse", |b| {
        b.iter(|| {
            for c in &coeffs {
                imdct.inverse(black_box(c), &mut out);
                black_box(&out);
            }
        })
    });
    let mut t = IntMdct::new(N);
    let mut folded = vec![vec![0i32; N]; 2];
    let mut half = vec![0i32; N / 2];
    let mut forward = |t: &mut IntMdct, folded: &mut Vec<Vec<i32>>| {
        for (x, v) in samples.iter().zip(folded.iter_mut()) {
            let (lower, upper) = v.split_at_mut(N / 2);
            t.fold(&x[..N], &mut half, upper);
            t.fold(&x[N..], lower, &mut half);
        }
        let (l, r) = folded.split_at_mut(1);
        t.dct_pair(&mut l[0], &mut r[0]);
    };
    group.bench_function("integer/forward", |b| {
        b.iter(|| forward(&mut t, black_box(&mut folded)))
    });
    forward(&mut t, &mut folded);
    let coded = folded.clone();
    let mut blocks = vec![0i32; N];
    group.bench_function("integer/inverse", |b| {
        b.iter(|| {
            for (v, c) in folded.iter_mut().zip(&coded) {
                v.copy_from_slice(black_box(c));
            }
            let (l, r) = folded.split_at_mut(1);
            t.inverse_dct_pair(&mut l[0], &mut r[0]);
            for v in &folded {
                t.unfold(&v[..N / 2], &v[N / 2..], &mut blocks);
                black_box(&blocks);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_family, bench_mdct);
criterion_main!(benches);
