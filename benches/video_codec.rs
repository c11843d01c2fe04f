//! Speed of the video codec at 640×360 at the default settings (quality 60): encode with
//! 1 and 2 threads, and decode. Uses the first 20 frames of `$QUANTA_BENCH_Y4M` when set
//! (for example the corpus clip scaled with `ffmpeg -vf scale=640:360`), else a synthetic
//! drifting texture. Throughput is reported in frames (criterion's "elements").

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quanta::codec::video::{VideoEncoder, VideoEncoderConfig, VideoStreamDecoder};
use quanta::media::y4m::{ChromaFormat, Y4mHeader, Y4mReader, YuvFrame};
use quanta::Limits;

const FRAMES: usize = 20;

fn clip() -> (Y4mHeader, Vec<YuvFrame>) {
    if let Ok(path) = std::env::var("QUANTA_BENCH_Y4M") {
        if let Ok(file) = std::fs::File::open(&path) {
            let reader = Y4mReader::new(std::io::BufReader::new(file), &path, &Limits::default());
            if let Ok(mut reader) = reader {
                let header = reader.header().clone();
                let mut frames = Vec::new();
                while let Ok(Some(f)) = reader.next_frame() {
                    frames.push(f);
                    if frames.len() == FRAMES {
                        break;
                    }
                }
                if !frames.is_empty() {
                    return (header, frames);
                }
            }
        }
    }
    let (w, h) = (640, 360);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (30, 1));
    let frames = (0..FRAMES)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, ChromaFormat::Yuv420Jpeg, 128);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                let s = if p == 0 { 1.0 } else { 2.0 };
                for y in 0..plane.height {
                    for x in 0..plane.width {
                        let gx = x as f64 * s + 1.5 * f as f64;
                        let gy = y as f64 * s + 0.5 * f as f64;
                        let v = 128.0
                            + 50.0 * (gx / 23.0).sin() * (gy / 17.0).cos()
                            + 20.0 * ((gx * gy) / 900.0).sin();
                        plane.data[y * plane.width + x] = v as u8;
                    }
                }
            }
            frame
        })
        .collect();
    (header, frames)
}

fn encode(header: &Y4mHeader, frames: &[YuvFrame], threads: usize) -> Vec<u8> {
    let config = VideoEncoderConfig {
        threads,
        ..VideoEncoderConfig::default()
    };
    let Ok(mut encoder) = VideoEncoder::new(Vec::new(), header, &config) else {
        return Vec::new();
    };
    for f in frames {
        if encoder.encode_frame(f).is_err() {
            return Vec::new();
        }
    }
    encoder.finish().map(|(bytes, _)| bytes).unwrap_or_default()
}

fn video_codec(c: &mut Criterion) {
    let (header, frames) = clip();
    let mut group = c.benchmark_group("video_640x360");
    group.sample_size(10);
    group.throughput(Throughput::Elements(frames.len() as u64));
    for threads in [1, 2] {
        group.bench_function(format!("encode_q60_threads{threads}"), |b| {
            b.iter(|| black_box(encode(&header, &frames, threads)))
        });
    }
    let stream = encode(&header, &frames, 2);
    group.bench_function("decode_threads2", |b| {
        b.iter(|| {
            let Ok(mut d) = VideoStreamDecoder::new(&stream[..], Limits::default(), 2) else {
                return 0;
            };
            let mut n = 0;
            while let Ok(Some(f)) = d.next_frame() {
                n += black_box(f.frame.planes.len());
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, video_codec);
criterion_main!(benches);
