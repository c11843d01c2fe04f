//! Measures the lossless and near-lossless picture coder on a folder of pictures: bytes per
//! picture and in total at each maximum error, every decode checked against the bound, and
//! the one-thread decode speed over the whole folder (megapixels per second of the decoding
//! thread's CPU time, the best of three decodes of each picture, so that other processes on
//! the machine change the figure little).
//!
//! `cargo run --release --example lossless_corpus -- DIR [N ...]` (N defaults to 0).

use quanta::codec::image::lossless::{encode_picture_lossless, LosslessConfig};
use quanta::codec::image::{decode_picture, ImageDecodeOptions};
use quanta::media::image::read_picture;
use quanta::Limits;

fn main() -> quanta::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "../shared/corpus/images".into());
    let errors: Vec<u8> = args.map(|a| a.parse().expect("N is 0 to 32")).collect();
    let errors = if errors.is_empty() { vec![0] } else { errors };
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| quanta::Error::io("cannot read the folder", e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    paths.sort();
    let pictures: Vec<_> = paths
        .iter()
        .map(|p| read_picture(p, &Limits::default()))
        .collect::<quanta::Result<_>>()?;
    for &n in &errors {
        let mut total = 0u64;
        let (mut pixels, mut cpu_seconds) = (0usize, 0.0f64);
        for (path, picture) in paths.iter().zip(&pictures) {
            let config = LosslessConfig {
                max_error: n,
                threads: 1,
                ..LosslessConfig::default()
            };
            let mut stream = Vec::new();
            encode_picture_lossless(picture, &config, &mut stream, &mut |_, _| {})?;
            let options = ImageDecodeOptions {
                threads: 1,
                ..ImageDecodeOptions::default()
            };
            let mut seconds = f64::MAX;
            let mut decoded = None;
            for _ in 0..3 {
                let start = thread_cpu_seconds();
                let d = decode_picture(stream.as_slice(), &options)?;
                seconds = seconds.min(thread_cpu_seconds() - start);
                decoded = Some(d);
            }
            let decoded = decoded.expect("decoded three times");
            let worst = decoded
                .picture
                .data
                .iter()
                .zip(&picture.data)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(0);
            assert!(worst <= n, "{}: off by {worst}", path.display());
            pixels += picture.pixels();
            cpu_seconds += seconds;
            total += stream.len() as u64;
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            println!(
                "N={n} {name} {} bytes, decoded at {:.1} MP/s",
                stream.len(),
                picture.pixels() as f64 / seconds / 1e6
            );
        }
        println!(
            "N={n} total {total} bytes; decoded at {:.1} MP/s on one thread ({:.3} s CPU for {:.2} MP)",
            pixels as f64 / cpu_seconds / 1e6,
            cpu_seconds,
            pixels as f64 / 1e6
        );
    }
    Ok(())
}

/// CPU time of the calling thread in seconds (Linux: /proc/thread-self/schedstat; elsewhere
/// wall-clock time from the first call).
fn thread_cpu_seconds() -> f64 {
    if let Ok(text) = std::fs::read_to_string("/proc/thread-self/schedstat") {
        if let Some(ns) = text
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
        {
            return ns as f64 / 1e9;
        }
    }
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}
