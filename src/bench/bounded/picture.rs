//! The error-bounded bench of one picture: quanta at every maximum error N, then every
//! picture anchor at its settings, each decode compared sample by sample with the source.
//!
//! The source is the picture as quanta reads it (8-bit gray or RGB; alpha dropped), written
//! once as a PNG for the anchors, so every coder codes the same samples. A decoder that
//! gives RGB for a gray source (dwebp) is compared channel by channel with the gray level.

use std::path::Path;
use std::time::Instant;

use super::{check_bound, compare_samples, file_size, run_tool, BoundedAnchor, BoundedCodec};
use super::{BoundedConfig, BoundedFile, BoundedRun};
use crate::bench::picture::decode_own;
use crate::codec::image::lossless::{encode_picture_lossless, LosslessConfig};
use crate::error::{Error, Limits, Result};
use crate::media::image::{encode_picture_file, read_picture, PictureFormat};
use crate::signal::{Picture, PixelLayout};

/// Every run of the picture at `path`, with scratch files in `dir`.
pub(super) fn bench_file(path: &Path, dir: &Path, config: &BoundedConfig) -> Result<BoundedFile> {
    let source = read_picture(path, &Limits::default())?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let mut runs = Vec::new();
    for &n in &config.max_errors {
        runs.push(run_quanta(&source, n)?);
    }
    if !config.anchors.is_empty() {
        let input = dir.join("source.png");
        let bytes = encode_picture_file(&source, PictureFormat::Png)?;
        std::fs::write(&input, bytes).map_err(|e| Error::io_path("write", &input, e))?;
        for &anchor in &config.anchors {
            for setting in anchor.settings(&config.max_errors) {
                runs.push(run_anchor(anchor, setting, &source, &input, dir)?);
            }
        }
    }
    for run in &runs {
        check_bound(&name, run)?;
    }
    Ok(BoundedFile {
        name,
        units: source.pixels() as u64,
        runs,
    })
}

/// quanta at maximum error `n`, in memory, one thread each way.
fn run_quanta(source: &Picture, n: u8) -> Result<BoundedRun> {
    let config = LosslessConfig {
        max_error: n,
        threads: 1,
        ..LosslessConfig::default()
    };
    let mut stream = Vec::new();
    let start = Instant::now();
    encode_picture_lossless(source, &config, &mut stream, &mut |_, _| {})?;
    let coded = decode_own(
        stream,
        start.elapsed().as_secs_f64(),
        &format!("maximum error {n}"),
    )?;
    let (max_error, psnr) = compare_pictures(source, &coded.decoded)?;
    Ok(BoundedRun {
        codec: BoundedCodec::Quanta,
        setting: n,
        bound: n,
        bytes: coded.coding.bytes,
        max_error,
        psnr,
        encode_seconds: coded.coding.encode_seconds,
        decode_seconds: coded.coding.decode_seconds,
    })
}

/// One anchor at one setting on the PNG copy `input` of `source`.
fn run_anchor(
    anchor: BoundedAnchor,
    setting: u8,
    source: &Picture,
    input: &Path,
    dir: &Path,
) -> Result<BoundedRun> {
    let tag = format!("{}_{setting}", anchor.name());
    let coded = dir.join(format!("{tag}.{}", coded_extension(anchor)));
    let decoded_path = dir.join(format!("{tag}_decoded.{}", decoded_extension(anchor)));
    let p = |path: &Path| path.display().to_string();
    let s = |text: &str| text.to_string();
    let (encoder, encode_args, decoder, decode_args): (&str, Vec<String>, &str, Vec<String>) =
        match anchor {
            BoundedAnchor::WebpLossless => (
                "cwebp",
                vec![s("-quiet"), s("-lossless"), s("-z"), s("9"), s("-exact")]
                    .into_iter()
                    .chain([p(input), s("-o"), p(&coded)])
                    .collect(),
                "dwebp",
                vec![s("-quiet"), p(&coded), s("-ppm"), s("-o"), p(&decoded_path)],
            ),
            BoundedAnchor::JxlLossless => (
                "cjxl",
                vec![
                    s("--quiet"),
                    s("--num_threads=0"),
                    s("-d"),
                    s("0"),
                    s("-e"),
                    s("7"),
                    p(input),
                    p(&coded),
                ],
                "djxl",
                vec![s("--num_threads=1"), p(&coded), p(&decoded_path)],
            ),
            BoundedAnchor::Png => (
                "optipng",
                vec![s("-quiet"), s("-o2"), s("-out"), p(&coded), p(input)],
                "",
                Vec::new(),
            ),
            BoundedAnchor::JpegLs => {
                let pix_fmt = match source.layout {
                    PixelLayout::Gray => "gray",
                    PixelLayout::Rgb => "rgb24",
                };
                let ffmpeg = |args: &[String]| {
                    let mut all = vec![s("-nostdin"), s("-v"), s("error"), s("-y")];
                    all.extend_from_slice(args);
                    all
                };
                (
                    "ffmpeg",
                    ffmpeg(&[
                        s("-i"),
                        p(input),
                        s("-pix_fmt"),
                        s(pix_fmt),
                        s("-c:v"),
                        s("jpegls"),
                        s("-threads"),
                        s("1"),
                        // ffmpeg's JPEG-LS encoder takes its NEAR bound from this option.
                        s("-pred"),
                        setting.to_string(),
                        s("-f"),
                        s("image2"),
                        p(&coded),
                    ]),
                    "ffmpeg",
                    ffmpeg(&[
                        s("-threads"),
                        s("1"),
                        s("-i"),
                        p(&coded),
                        s("-f"),
                        s("image2"),
                        p(&decoded_path),
                    ]),
                )
            }
            BoundedAnchor::Flac => {
                return Err(Error::InvalidArgument(
                    "the flac anchor codes audio, not pictures".into(),
                ))
            }
        };
    let encode_seconds = run_tool(anchor, encoder, &encode_args)?;
    let bytes = file_size(&coded)?;
    let (decoded, decode_seconds) = if decoder.is_empty() {
        // A PNG is its own decoded file: time reading it.
        let start = Instant::now();
        let picture = read_picture(&coded, &Limits::default())?;
        (picture, start.elapsed().as_secs_f64())
    } else {
        let seconds = run_tool(anchor, decoder, &decode_args)?;
        (read_picture(&decoded_path, &Limits::default())?, seconds)
    };
    let (max_error, psnr) = compare_pictures(source, &decoded)?;
    let _ = std::fs::remove_file(&coded);
    let _ = std::fs::remove_file(&decoded_path);
    Ok(BoundedRun {
        codec: BoundedCodec::Anchor(anchor),
        setting,
        bound: anchor.bound(setting),
        bytes,
        max_error,
        psnr,
        encode_seconds,
        decode_seconds,
    })
}

fn coded_extension(anchor: BoundedAnchor) -> &'static str {
    match anchor {
        BoundedAnchor::WebpLossless => "webp",
        BoundedAnchor::JxlLossless => "jxl",
        BoundedAnchor::Png => "png",
        BoundedAnchor::JpegLs => "jls",
        BoundedAnchor::Flac => "flac",
    }
}

fn decoded_extension(anchor: BoundedAnchor) -> &'static str {
    match anchor {
        BoundedAnchor::WebpLossless => "ppm",
        _ => "png",
    }
}

/// Largest error and PSNR of `decoded` against `source`; a gray source may come back as RGB.
fn compare_pictures(source: &Picture, decoded: &Picture) -> Result<(u32, Option<f64>)> {
    if (source.width, source.height) != (decoded.width, decoded.height) {
        return Err(Error::InvalidStream(format!(
            "decoded picture is {}x{}, its source {}x{}",
            decoded.width, decoded.height, source.width, source.height
        )));
    }
    let src: Vec<i32>;
    let dec: Vec<i32> = decoded.data.iter().map(|&v| i32::from(v)).collect();
    match (source.layout, decoded.layout) {
        (a, b) if a == b => src = source.data.iter().map(|&v| i32::from(v)).collect(),
        (PixelLayout::Gray, PixelLayout::Rgb) => {
            src = source
                .data
                .iter()
                .flat_map(|&v| [i32::from(v); 3])
                .collect()
        }
        _ => {
            return Err(Error::InvalidStream(
                "a colour source was decoded as gray".into(),
            ))
        }
    }
    Ok(compare_samples(&src, &dec, 255.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: usize, height: usize, layout: PixelLayout) -> Picture {
        let channels = layout.channels();
        let data = (0..width * height * channels)
            .map(|i| {
                let (x, y) = ((i / channels) % width, (i / channels) / width);
                ((x * 7 + y * 3 + (i % channels) * 40 + (x * y) % 13) % 256) as u8
            })
            .collect();
        Picture::new(width, height, layout, data).unwrap()
    }

    #[test]
    fn quanta_runs_keep_their_bound_and_shrink_with_it() {
        let source = gradient(61, 37, PixelLayout::Rgb);
        let exact = run_quanta(&source, 0).unwrap();
        assert_eq!((exact.max_error, exact.psnr), (0, None));
        let near = run_quanta(&source, 4).unwrap();
        assert!(near.max_error <= 4 && near.max_error > 0, "{near:?}");
        assert!(
            near.bytes < exact.bytes,
            "{} vs {}",
            near.bytes,
            exact.bytes
        );
        assert!(near.psnr.unwrap() > 30.0, "{near:?}");
    }

    #[test]
    fn gray_sources_compare_with_rgb_decodes() {
        let gray = gradient(5, 4, PixelLayout::Gray);
        let mut data: Vec<u8> = gray.data.iter().flat_map(|&v| [v; 3]).collect();
        assert_eq!(
            compare_pictures(
                &gray,
                &Picture::new(5, 4, PixelLayout::Rgb, data.clone()).unwrap()
            )
            .unwrap(),
            (0, None)
        );
        data[7] = data[7].wrapping_add(3);
        let (worst, _) =
            compare_pictures(&gray, &Picture::new(5, 4, PixelLayout::Rgb, data).unwrap()).unwrap();
        assert_eq!(worst, 3);
        let rgb = gradient(5, 4, PixelLayout::Rgb);
        assert!(compare_pictures(&rgb, &gray).is_err());
    }
}
