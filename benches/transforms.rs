//! Criterion benchmarks of the block-transform family: forward, inverse and forward plus
//! inverse of 8×8 blocks for every member, over a batch of in-memory 8-bit blocks.
//!
//! Inputs are seeded random pixels (-128 to 127) and, for the inverse, their coefficients
//! dequantized exactly for the member (as `transform::analysis::round_trip_error` does).
//! Throughput is reported per block. The reference point is the exact `dct` member (f32
//! matrix forward, 13-bit integer matrix inverse): the figure of interest is each member's
//! forward-plus-inverse time against it.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

criterion_group!(benches, bench_family);
criterion_main!(benches);
