//! Speed of the image codec on a 1920×1080 photo: encode at quality 75 with 1 and 2
//! threads, and decode. Uses the corpus photo beside the project when present
//! (../shared/corpus/images/wood_1920x1080.png), else a synthetic picture of that size.
//! Also the SSIM of a 1080p luma plane, the quality metric computed for every decoded
//! picture. Throughput is reported in pixels (criterion's "elements"): divide by 1e6 for MP/s.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quanta::codec::image::{
    decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig,
};
use quanta::media::image::read_picture;
use quanta::signal::{Picture, PixelLayout};
use quanta::Limits;

fn photo() -> Picture {
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/images/wood_1920x1080.png");
    if let Ok(p) = read_picture(&corpus, &Limits::default()) {
        return p;
    }
    let (w, h) = (1920, 1080);
    let mut data = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let v = 128.0 + 60.0 * ((x as f64) / 40.0).sin() * ((y as f64) / 30.0).cos();
            data.extend_from_slice(&[v as u8, (v * 0.8) as u8, (255.0 - v) as u8]);
        }
    }
    Picture::new(w, h, PixelLayout::Rgb, data).expect("synthetic picture")
}

fn image_codec(c: &mut Criterion) {
    let picture = photo();
    let mut group = c.benchmark_group("image_1080p");
    group.sample_size(10);
    group.throughput(Throughput::Elements(picture.pixels() as u64));
    for threads in [1, 2] {
        let config = ImageEncoderConfig {
            quality: 75,
            threads,
            ..ImageEncoderConfig::default()
        };
        group.bench_function(format!("encode_q75_threads{threads}"), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(1 << 20);
                encode_picture(black_box(&picture), &config, &mut out).expect("encode");
                out
            })
        });
    }
    let mut stream = Vec::new();
    encode_picture(&picture, &ImageEncoderConfig::default(), &mut stream).expect("encode");
    group.bench_function("decode_q75_threads2", |b| {
        b.iter(|| {
            decode_picture(
                black_box(stream.as_slice()),
                &ImageDecodeOptions {
                    threads: 2,
                    ..ImageDecodeOptions::default()
                },
            )
            .expect("decode")
        })
    });
    group.finish();
}

/// SSIM on the luma of a 1080p photo against a noisy copy (the metric every bench run and
/// `quanta compare` computes once per decoded picture).
fn ssim_1080p(c: &mut Criterion) {
    let picture = photo();
    let luma: Vec<u8> = picture
        .data
        .chunks_exact(3)
        .map(|p| ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8)
        .collect();
    let mut seed = 0x9e37_79b9_u32;
    let noisy: Vec<u8> = luma
        .iter()
        .map(|&v| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (i32::from(v) + (seed % 41) as i32 - 20).clamp(0, 255) as u8
        })
        .collect();
    let (w, h) = (picture.width, picture.height);
    let mut group = c.benchmark_group("ssim_1080p");
    group.sample_size(10);
    group.throughput(Throughput::Elements((w * h) as u64));
    group.bench_function("ssim_gray", |b| {
        b.iter(|| quanta::metrics::ssim::ssim_gray(black_box(&luma), &noisy, w, h).expect("ssim"))
    });
    group.finish();
}

criterion_group!(benches, image_codec, ssim_1080p);
criterion_main!(benches);
