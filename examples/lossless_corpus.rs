//! Measures the lossless and near-lossless picture coder on a folder of pictures: bytes per
//! picture and in total at each maximum error, every decode checked against the bound, and
//! the one-thread decode speed of the largest picture.
//!
//! `cargo run --release --example lossless_corpus -- DIR [N ...]` (N defaults to 0).

use std::time::Instant;

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
        let mut slowest = (0usize, 0.0f64);
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
            let start = Instant::now();
            let decoded = decode_picture(stream.as_slice(), &options)?;
            let seconds = start.elapsed().as_secs_f64();
            let worst = decoded
                .picture
                .data
                .iter()
                .zip(&picture.data)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(0);
            assert!(worst <= n, "{}: off by {worst}", path.display());
            if picture.pixels() > slowest.0 {
                slowest = (picture.pixels(), seconds);
            }
            total += stream.len() as u64;
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            println!("N={n} {name} {}", stream.len());
        }
        println!(
            "N={n} total {total} bytes; largest picture decoded at {:.1} MP/s on one thread",
            slowest.0 as f64 / slowest.1 / 1e6
        );
    }
    Ok(())
}
