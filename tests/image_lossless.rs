//! Lossless and near-lossless pictures: bit-exact round trips for gray and RGB at odd
//! sizes and strip heights, the ±N bound checked on every sample, damage and hostile
//! input, thread independence, and the command line's flags.

use std::path::Path;
use std::process::Command;

use quanta::codec::image::lossless::{
    encode_deep_picture_lossless, encode_picture_lossless, LosslessConfig,
};
use quanta::codec::image::{decode_picture, DecodedPicture, ImageDecodeOptions};
use quanta::media::image::{
    encode_deep_picture_file, read_deep_picture_bytes, read_picture, PictureFormat,
};
use quanta::signal::{DeepPicture, Picture, PixelLayout};
use quanta::Limits;

/// A deterministic picture: smooth ramps, an edge, and noise of amplitude `noise`.
fn synthetic(width: usize, height: usize, layout: PixelLayout, noise: u32, seed: u64) -> Picture {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let channels = layout.channels();
    let mut data = Vec::with_capacity(width * height * channels);
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let edge = if x * 3 > width + y { 90 } else { 0 };
                let base = (x * 2 + y * 3 + c * 40 + edge) as u32 % 256;
                let jitter = if noise > 0 {
                    next() % (2 * noise + 1)
                } else {
                    noise
                };
                data.push((base + jitter).saturating_sub(noise).min(255) as u8);
            }
        }
    }
    Picture::new(width, height, layout, data).unwrap()
}

/// Pure noise over the whole range: the worst case of the residual coder.
fn noise(width: usize, height: usize, layout: PixelLayout, seed: u64) -> Picture {
    let mut state = seed;
    let data = (0..width * height * layout.channels())
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect();
    Picture::new(width, height, layout, data).unwrap()
}

/// A crop of a bundled sample picture.
fn sample_crop(name: &str, x0: usize, y0: usize, w: usize, h: usize) -> Picture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    let full = read_picture(&path, &Limits::default()).unwrap();
    let n = full.layout.channels();
    let mut data = Vec::with_capacity(w * h * n);
    for y in y0..y0 + h {
        let start = (y * full.width + x0) * n;
        data.extend_from_slice(&full.data[start..start + w * n]);
    }
    Picture::new(w, h, full.layout, data).unwrap()
}

fn gray_of(picture: &Picture) -> Picture {
    let data = picture.data.chunks(3).map(|p| p[1]).collect();
    Picture::new(picture.width, picture.height, PixelLayout::Gray, data).unwrap()
}

fn encode(picture: &Picture, max_error: u8, strip_rows: u32, threads: usize) -> (Vec<u8>, Picture) {
    let config = LosslessConfig {
        max_error,
        strip_rows,
        threads,
        reconstruct: true,
    };
    let mut out = Vec::new();
    let outcome = encode_picture_lossless(picture, &config, &mut out, &mut |_, _| {}).unwrap();
    assert_eq!(outcome.bytes, out.len() as u64);
    (out, outcome.reconstruction.unwrap())
}

fn decode(bytes: &[u8]) -> DecodedPicture {
    let decoded = decode_picture(bytes, &ImageDecodeOptions::default()).expect("decode");
    assert!(decoded.damage.is_empty() && decoded.concealed_tiles.is_empty());
    assert!(decoded.complete);
    decoded
}

fn max_difference(a: &Picture, b: &Picture) -> u8 {
    assert_eq!((a.width, a.height, a.layout), (b.width, b.height, b.layout));
    a.data
        .iter()
        .zip(&b.data)
        .map(|(&x, &y)| x.abs_diff(y))
        .max()
        .unwrap()
}

#[test]
fn lossless_round_trips_are_bit_exact_at_odd_sizes() {
    let sizes = [(1, 1), (3, 7), (77, 45), (64, 1), (1, 50), (130, 33)];
    for layout in [PixelLayout::Rgb, PixelLayout::Gray] {
        for (i, &(w, h)) in sizes.iter().enumerate() {
            for strip_rows in [1, 5, 16, 512] {
                let picture = synthetic(w, h, layout, 6, i as u64);
                let (bytes, reconstruction) = encode(&picture, 0, strip_rows, 1);
                let decoded = decode(&bytes);
                assert_eq!(
                    decoded.picture, picture,
                    "{w}x{h} {layout:?} strips {strip_rows}"
                );
                assert_eq!(reconstruction, picture);
                assert_eq!(decoded.tile_count, h.div_ceil(strip_rows as usize).max(1));
                assert_eq!(decoded.predictive.unwrap().max_error, 0);
            }
        }
    }
}

#[test]
fn lossless_codes_noise_and_real_pictures_exactly() {
    for picture in [
        noise(41, 29, PixelLayout::Rgb, 3),
        noise(41, 29, PixelLayout::Gray, 4),
        sample_crop("chelsea.png", 100, 60, 120, 90),
        gray_of(&sample_crop("coffee.png", 200, 100, 97, 61)),
    ] {
        let (bytes, _) = encode(&picture, 0, 32, 2);
        assert_eq!(decode(&bytes).picture, picture);
    }
    // A real photograph compresses well below its raw size.
    let crop = sample_crop("chelsea.png", 100, 60, 120, 90);
    let (bytes, _) = encode(&crop, 0, 512, 1);
    assert!(
        bytes.len() < crop.data.len() * 3 / 4,
        "{} bytes",
        bytes.len()
    );
}

#[test]
fn near_lossless_bound_holds_on_every_sample() {
    let pictures = [
        sample_crop("chelsea.png", 0, 0, 160, 120),
        sample_crop("coffee.png", 180, 120, 150, 100),
        gray_of(&sample_crop("coffee.png", 20, 30, 99, 77)),
        noise(53, 31, PixelLayout::Rgb, 9),
        noise(53, 31, PixelLayout::Gray, 10),
        synthetic(67, 43, PixelLayout::Rgb, 20, 11),
    ];
    for picture in &pictures {
        let (lossless, _) = encode(picture, 0, 40, 1);
        let mut previous_size = lossless.len();
        for n in [1u8, 2, 4, 8, 32] {
            let (bytes, reconstruction) = encode(picture, n, 40, 1);
            let decoded = decode(&bytes);
            assert_eq!(decoded.picture, reconstruction, "N = {n}");
            let worst = max_difference(&decoded.picture, picture);
            assert!(worst <= n, "N = {n}: a sample is off by {worst}");
            // Each sample may move within the bound, and on these pictures some do.
            assert!(worst > 0, "N = {n}: nothing was quantized");
            assert!(
                bytes.len() < previous_size,
                "N = {n}: {} bytes",
                bytes.len()
            );
            previous_size = bytes.len();
        }
    }
}

#[test]
fn threads_do_not_change_the_bytes() {
    let picture = sample_crop("chelsea.png", 0, 0, 300, 200);
    for n in [0, 3] {
        let (one, _) = encode(&picture, n, 24, 1);
        let (two, _) = encode(&picture, n, 24, 2);
        assert_eq!(one, two);
        let decoded = decode_picture(
            one.as_slice(),
            &ImageDecodeOptions {
                threads: 2,
                ..ImageDecodeOptions::default()
            },
        )
        .unwrap();
        assert_eq!(decoded.picture, decode(&one).picture);
    }
}

#[test]
fn truncations_and_bit_flips_give_errors_or_reports() {
    let picture = synthetic(37, 21, PixelLayout::Rgb, 5, 7);
    let (bytes, _) = encode(&picture, 1, 8, 1);
    for cut in 0..bytes.len() {
        if let Ok(d) = decode_picture(&bytes[..cut], &ImageDecodeOptions::default()) {
            assert!(!d.complete, "cut at {cut} looks complete");
        }
    }
    for bit in 0..bytes.len() * 8 {
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        if let Ok(d) = decode_picture(damaged.as_slice(), &ImageDecodeOptions::default()) {
            let reported = !d.damage.is_empty() || !d.concealed_tiles.is_empty() || !d.complete;
            assert!(reported, "flip of bit {bit} went unnoticed");
        }
    }
}

#[test]
fn a_lost_strip_is_grey_and_the_others_exact() {
    let picture = synthetic(30, 20, PixelLayout::Gray, 3, 2);
    let (bytes, _) = encode(&picture, 0, 8, 1);
    // Damage the middle of the stream: one of the three strips.
    let mut damaged = bytes.clone();
    let at = bytes.len() / 2;
    damaged[at] ^= 0x10;
    let d = decode_picture(damaged.as_slice(), &ImageDecodeOptions::default()).unwrap();
    assert_eq!(d.concealed_tiles.len(), 1);
    let lost = d.concealed_tiles[0];
    for y in 0..20 {
        let row = &d.picture.data[y * 30..(y + 1) * 30];
        if y / 8 == lost {
            assert!(row.iter().all(|&v| v == 128));
        } else {
            assert_eq!(row, &picture.data[y * 30..(y + 1) * 30]);
        }
    }
}

/// The stream header with a replaced parameter block (CRC recomputed).
fn with_params(stream: &[u8], params: &[u8]) -> Vec<u8> {
    let old_len = u16::from_le_bytes([stream[8], stream[9]]) as usize;
    let mut header = stream[..10].to_vec();
    header[8..10].copy_from_slice(&(params.len() as u16).to_le_bytes());
    header.extend_from_slice(params);
    let crc = crc32fast::hash(&header);
    header.extend_from_slice(&crc.to_le_bytes());
    header.extend_from_slice(&stream[10 + old_len + 4..]);
    header
}

#[test]
fn forged_parameters_are_refused() {
    let picture = synthetic(9, 9, PixelLayout::Rgb, 2, 5);
    let (bytes, _) = encode(&picture, 2, 4, 1);
    let good = bytes[10..24].to_vec();
    assert!(decode_picture(with_params(&bytes, &good).as_slice(), &Default::default()).is_ok());
    let mut forged = Vec::new();
    // Version 1 streams (adaptive binary coding) are refused, as is an unknown version.
    for version in [1, 3] {
        let mut p = good.clone();
        p[0] = version;
        let err = decode_picture(with_params(&bytes, &p).as_slice(), &Default::default())
            .expect_err("an old or unknown parameter version was accepted");
        assert!(err.to_string().contains("version"), "{err}");
    }
    let mut p = good.clone();
    p[9] = 2; // channels
    forged.push(p);
    let mut p = good.clone();
    p[10] = 33; // maximum error
    forged.push(p);
    let mut p = good.clone();
    p[11] = 0; // strip rows
    p[12] = 0;
    forged.push(p);
    let mut p = good.clone();
    p[1..5].copy_from_slice(&1_000_000u32.to_le_bytes()); // width over the limit
    forged.push(p);
    let mut p = good.clone();
    p[13] = 12; // bits per sample
    forged.push(p);
    let mut p = good.clone();
    p[13] = 16; // 16-bit with a maximum error of 2
    forged.push(p);
    forged.push(good[..12].to_vec());
    for p in forged {
        let err = decode_picture(with_params(&bytes, &p).as_slice(), &Default::default());
        assert!(err.is_err(), "{p:?} was accepted");
    }
}

fn quanta(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .output()
        .expect("run quanta")
}

#[test]
fn the_command_line_codes_pictures_losslessly() {
    let dir = std::env::temp_dir().join(format!("quanta-lossless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let source = samples.join("chelsea.png");
    let stream = dir.join("c.qnt");
    let output = dir.join("c.png");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    for flags in [vec!["--lossless"], vec!["--max-error", "3"]] {
        let mut args = vec!["encode".to_string(), s(&source), "-o".into(), s(&stream)];
        args.extend(flags.iter().map(|f| f.to_string()));
        let args: Vec<&str> = args.iter().map(|a| a.as_str()).collect();
        let run = quanta(&args);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let run = quanta(&["decode", &s(&stream), "-o", &s(&output)]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let a = read_picture(&source, &Limits::default()).unwrap();
        let b = read_picture(&output, &Limits::default()).unwrap();
        let bound = if flags[0] == "--lossless" { 0 } else { 3 };
        assert!(max_difference(&a, &b) <= bound, "{flags:?}");
        // `quanta info` reads the lossless parameter block.
        let run = quanta(&["info", &s(&stream), "--json"]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let info: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(info["image"]["max_error"], bound, "{info}");
        assert_eq!(info["image"]["width"], a.width, "{info}");
        let mode = if bound == 0 {
            "lossless"
        } else {
            "near-lossless"
        };
        assert_eq!(info["image"]["mode"], mode, "{info}");
    }
    // Usage errors: with --quality, and for audio.
    let run = quanta(&[
        "encode",
        &s(&source),
        "-o",
        &s(&stream),
        "--max-error",
        "2",
        "-q",
        "50",
    ]);
    assert_eq!(run.status.code(), Some(2));
    let audio = samples.join("music_goin_march_3s.flac");
    let run = quanta(&["encode", &s(&audio), "-o", &s(&stream), "--max-error", "2"]);
    assert_eq!(run.status.code(), Some(2));
    let run = quanta(&[
        "encode",
        &s(&source),
        "-o",
        &s(&stream),
        "--max-error",
        "33",
    ]);
    assert_eq!(run.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A 16-bit picture: ramps over the whole range, an edge and low-bit noise.
fn deep_synthetic(width: usize, height: usize, layout: PixelLayout, seed: u32) -> DeepPicture {
    let mut state = seed;
    let channels = layout.channels();
    let mut data = Vec::with_capacity(width * height * channels);
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let edge = if x * 2 > width + y { 20_000 } else { 0 };
                let base = (x * 700 + y * 450 + c * 9_000 + edge) as u32;
                data.push(((base + (state >> 26)) % 65_536) as u16);
            }
        }
    }
    DeepPicture::new(width, height, layout, data).unwrap()
}

#[test]
fn sixteen_bit_pictures_round_trip_exactly() {
    for layout in [PixelLayout::Gray, PixelLayout::Rgb] {
        for (width, height, strip_rows) in [(1, 1, 1), (37, 19, 4), (64, 33, 512)] {
            let picture = deep_synthetic(width, height, layout, width as u32 + 7);
            for threads in [1, 3] {
                let config = LosslessConfig {
                    strip_rows,
                    threads,
                    ..LosslessConfig::default()
                };
                let mut bytes = Vec::new();
                encode_deep_picture_lossless(&picture, &config, &mut bytes, &mut |_, _| {})
                    .unwrap();
                let decoded = decode(&bytes);
                assert_eq!(
                    decoded.deep.as_ref(),
                    Some(&picture),
                    "{layout:?} {width}x{height}"
                );
                assert_eq!(decoded.predictive.unwrap().bits, 16);
                assert_eq!(decoded.picture, picture.to_8bit());
            }
        }
    }
    let picture = deep_synthetic(8, 8, PixelLayout::Rgb, 1);
    let near = LosslessConfig {
        max_error: 2,
        ..LosslessConfig::default()
    };
    let err = encode_deep_picture_lossless(&picture, &near, Vec::new(), &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("16-bit") && err.contains("losslessly only"),
        "{err}"
    );
}

#[test]
fn the_command_line_keeps_16_bit_pngs_at_16_bits() {
    let dir = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let picture = deep_synthetic(45, 23, PixelLayout::Rgb, 9);
    let source = dir.path().join("deep.png");
    std::fs::write(
        &source,
        encode_deep_picture_file(&picture, PictureFormat::Png).unwrap(),
    )
    .unwrap();
    let stream = dir.path().join("deep.qnt");
    let run = quanta(&["encode", &s(&source), "-o", &s(&stream), "--lossless"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for name in ["back.png", "back.tiff", "back.ppm"] {
        let output = dir.path().join(name);
        let run = quanta(&["decode", &s(&stream), "-o", &s(&output)]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let back =
            read_deep_picture_bytes(&std::fs::read(&output).unwrap(), name, &Limits::default())
                .unwrap()
                .expect("a 16-bit file");
        assert_eq!(back, picture, "{name}");
    }
    let run = quanta(&["info", &s(&stream), "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(info["image"]["bits_per_sample"], 16, "{info}");
    // A format without 16-bit samples, and a maximum error, are refused; nothing is left.
    let bmp = dir.path().join("back.bmp");
    let run = quanta(&["decode", &s(&stream), "-o", &s(&bmp)]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("16-bit"));
    assert!(!bmp.exists());
    let near = dir.path().join("near.qnt");
    let run = quanta(&["encode", &s(&source), "-o", &s(&near), "--max-error", "2"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("losslessly only"));
    assert!(!near.exists());
}
