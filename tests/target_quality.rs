//! Target quality (`--target-psnr`, `--target-ssim`): every search is checked by decoding its
//! stream with the ordinary decoders and measuring the output with the metrics `quanta
//! compare` uses, so the reached value must be what a user would measure, in the band above
//! the target. Also: the finer knobs at whole values give the bytes of the integer quality,
//! out-of-reach targets fail, and the command line refuses bad combinations and leaves no
//! output file behind.

mod common;

use std::process::{Command, Output, Stdio};

use common::synthetic_picture;
use quanta::codec::audio::target::encode_audio_to_target;
use quanta::codec::audio::{decode_audio, AudioDecodeOptions, AudioEncoderConfig, AudioTune};
use quanta::codec::audio::{encode_audio, RateMode};
use quanta::codec::image::target::{encode_picture_to_target, picture_metric};
use quanta::codec::image::{decode_picture, encode_picture, ImageDecodeOptions};
use quanta::codec::image::{ChromaSampling, ImageEncoderConfig};
use quanta::codec::target::{ssim_db, Target, PSNR_TOLERANCE_DB, SSIM_TOLERANCE_DB};
use quanta::codec::video::target::{encode_video_to_target, video_metric};
use quanta::codec::video::{VideoEncoder, VideoEncoderConfig, VideoStreamDecoder};
use quanta::media::audio::MemorySource;
use quanta::media::y4m::{ChromaFormat, Y4mHeader, YuvFrame};
use quanta::metrics::compare_pictures;
use quanta::metrics::video::VideoQualitySums;
use quanta::perceptual::visual::quality_scale;
use quanta::signal::PixelLayout;
use quanta::Limits;

/// A `width`×`height` crop of the bundled photo samples/chelsea.png, in colour or as luma.
/// (The partition and mode decisions of the block coder make the quality of noise-like
/// synthetic pictures jump between nearby steps by more than the band; photos do not.)
fn photo_crop(width: usize, height: usize, layout: PixelLayout) -> quanta::signal::Picture {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/chelsea.png");
    let photo = quanta::media::image::read_picture(&path, &Limits::default()).unwrap();
    let (x0, y0) = (100, 60);
    let mut data = Vec::new();
    for y in y0..y0 + height {
        for x in x0..x0 + width {
            let i = 3 * (y * photo.width + x);
            let [r, g, b] = [photo.data[i], photo.data[i + 1], photo.data[i + 2]].map(u32::from);
            match layout {
                PixelLayout::Rgb => data.extend_from_slice(&photo.data[i..i + 3]),
                PixelLayout::Gray => data.push(((299 * r + 587 * g + 114 * b + 500) / 1000) as u8),
            }
        }
    }
    quanta::signal::Picture::new(width, height, layout, data).unwrap()
}

/// True when `value` is at or above `target` and within the band the search promises.
fn in_band(target: Target, value: f64) -> bool {
    match target {
        Target::Psnr(t) => value >= t && value <= t + PSNR_TOLERANCE_DB,
        Target::Ssim(t) => value >= t && ssim_db(value) <= ssim_db(t) + SSIM_TOLERANCE_DB,
    }
}

#[test]
fn pictures_reach_psnr_and_ssim_targets_as_decoded() {
    let cases = [
        (PixelLayout::Rgb, Target::Psnr(34.0)),
        (PixelLayout::Rgb, Target::Psnr(41.5)),
        (PixelLayout::Rgb, Target::Ssim(0.95)),
        (PixelLayout::Gray, Target::Psnr(37.0)),
        (PixelLayout::Gray, Target::Ssim(0.98)),
    ];
    for (layout, target) in cases {
        let picture = photo_crop(96, 80, layout);
        let config = ImageEncoderConfig {
            threads: 1,
            ..ImageEncoderConfig::default()
        };
        let out = encode_picture_to_target(&picture, &config, target, true).unwrap();
        let decoded = decode_picture(&out.stream[..], &ImageDecodeOptions::default()).unwrap();
        let measured = picture_metric(
            target,
            &compare_pictures(&picture, &decoded.picture).unwrap(),
        );
        assert_eq!(measured, out.reached, "{layout:?} {target:?}");
        assert!(
            in_band(target, measured),
            "{layout:?} {target:?}: {measured}"
        );
        assert!(
            out.passes() >= 1 && out.passes() <= 40,
            "{} passes",
            out.passes()
        );
    }
}

#[test]
fn picture_targets_keep_a_given_chroma_sampling() {
    let picture = photo_crop(64, 64, PixelLayout::Rgb);
    for sampling in [ChromaSampling::Yuv420, ChromaSampling::Yuv444] {
        let config = ImageEncoderConfig {
            sampling,
            threads: 1,
            ..ImageEncoderConfig::default()
        };
        let out = encode_picture_to_target(&picture, &config, Target::Psnr(33.0), false).unwrap();
        assert_eq!(out.params.sampling, sampling);
        assert!(in_band(Target::Psnr(33.0), out.reached), "{}", out.reached);
    }
}

#[test]
fn picture_targets_out_of_reach_are_errors() {
    let picture = synthetic_picture(48, 48, PixelLayout::Rgb, 5);
    let config = ImageEncoderConfig::default();
    for target in [
        Target::Psnr(99.0),
        Target::Psnr(2.0),
        Target::Psnr(200.0),
        Target::Ssim(1.5),
    ] {
        let e = encode_picture_to_target(&picture, &config, target, true).unwrap_err();
        assert!(
            matches!(e, quanta::Error::InvalidArgument(_)),
            "{target:?}: {e}"
        );
    }
}

#[test]
fn whole_step_scale_gives_the_bytes_of_the_quality() {
    let picture = synthetic_picture(80, 64, PixelLayout::Rgb, 9);
    for quality in [10u8, 50, 75, 95] {
        let plain = ImageEncoderConfig {
            quality,
            ..ImageEncoderConfig::default()
        };
        let scaled = ImageEncoderConfig {
            step_scale: Some(quality_scale(quality)),
            ..plain.clone()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode_picture(&picture, &plain, &mut a).unwrap();
        encode_picture(&picture, &scaled, &mut b).unwrap();
        assert_eq!(a, b, "quality {quality}");
    }
}

/// A small moving clip: a drifting texture and a bright square.
fn clip(w: usize, h: usize, frames: usize) -> Vec<YuvFrame> {
    let chroma = ChromaFormat::Yuv420Jpeg;
    (0..frames)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, chroma, 0);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                let s = if p == 0 { 0 } else { 1 };
                for y in 0..plane.height {
                    for x in 0..plane.width {
                        let (gx, gy) = (((x << s) + 2 * f) as f64, ((y << s) + f) as f64);
                        let mut v = 128.0
                            + 50.0 * (gx * 0.23).sin() * (gy * 0.17).cos()
                            + 25.0 * ((gx + 2.0 * gy) * 0.07).sin();
                        if ((x << s) + 3 * f) % w < 12 && (10..22).contains(&(y << s)) {
                            v = 220.0 - 30.0 * p as f64;
                        }
                        plane.data[y * plane.width + x] = v.clamp(0.0, 255.0) as u8;
                    }
                }
            }
            frame
        })
        .collect()
}

/// A camera pan over the bundled photo: `frames` 4:2:0 crops of `w`×`h` moving by (2, 1)
/// samples a frame. (Synthetic clips make the block coder's quality jump between nearby
/// quantizer indices by more than the band, as for pictures; a photo does not.)
fn photo_pan(w: usize, h: usize, frames: usize) -> Vec<YuvFrame> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/chelsea.png");
    let photo = quanta::media::image::read_picture(&path, &Limits::default()).unwrap();
    (0..frames)
        .map(|f| {
            let (x0, y0) = (60 + 2 * f, 40 + f);
            let rgb = |x: usize, y: usize| {
                let i = 3 * ((y0 + y) * photo.width + x0 + x);
                [photo.data[i], photo.data[i + 1], photo.data[i + 2]].map(f64::from)
            };
            let mut frame = YuvFrame::filled(w, h, ChromaFormat::Yuv420Jpeg, 0);
            for y in 0..h {
                for x in 0..w {
                    let [r, g, b] = rgb(x, y);
                    frame.planes[0].data[y * w + x] = (0.299 * r + 0.587 * g + 0.114 * b) as u8;
                }
            }
            let cw = w / 2;
            for y in 0..h / 2 {
                for x in 0..cw {
                    let (mut cb, mut cr) = (0.0, 0.0);
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let [r, g, b] = rgb(2 * x + dx, 2 * y + dy);
                        cb += 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b;
                        cr += 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b;
                    }
                    frame.planes[1].data[y * cw + x] = (cb / 4.0).clamp(0.0, 255.0) as u8;
                    frame.planes[2].data[y * cw + x] = (cr / 4.0).clamp(0.0, 255.0) as u8;
                }
            }
            frame
        })
        .collect()
}

#[test]
fn video_reaches_psnr_and_ssim_targets_as_decoded() {
    let (w, h) = (128, 96);
    let frames = photo_pan(w, h, 16);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (25, 1));
    let config = VideoEncoderConfig {
        threads: 1,
        ..VideoEncoderConfig::default()
    };
    for target in [Target::Psnr(36.0), Target::Psnr(42.0), Target::Ssim(0.97)] {
        let out = encode_video_to_target(&header, &frames, &config, target).unwrap();
        let mut dec = VideoStreamDecoder::new(&out.stream[..], Limits::default(), 1).unwrap();
        let mut sums = VideoQualitySums::default();
        let mut n = 0;
        while let Some(d) = dec.next_frame().unwrap() {
            sums.add(&frames[n], &d.frame).unwrap();
            n += 1;
        }
        assert_eq!(n, frames.len());
        let measured = video_metric(target, &sums.finish().unwrap());
        assert!((measured - out.reached).abs() < 1e-9, "{target:?}");
        assert!(
            in_band(target, measured),
            "{target:?}: {measured} (qp {})",
            out.qp
        );
    }
    let e = encode_video_to_target(&header, &frames, &config, Target::Psnr(99.0)).unwrap_err();
    assert!(e.to_string().contains("out of reach"), "{e}");
    assert!(encode_video_to_target(&header, &[], &config, Target::Psnr(40.0)).is_err());
}

#[test]
fn whole_fine_qp_gives_the_bytes_of_the_quality() {
    let (w, h) = (48, 32);
    let frames = clip(w, h, 4);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (25, 1));
    let encode = |config: &VideoEncoderConfig| {
        let mut enc = VideoEncoder::new(Vec::new(), &header, config).unwrap();
        for f in &frames {
            enc.encode_frame(f).unwrap();
        }
        enc.finish().unwrap().0
    };
    let plain = VideoEncoderConfig::default();
    let fine = VideoEncoderConfig {
        // Quality 60 is quantizer index 24.
        fine_qp: Some(24.0),
        ..plain.clone()
    };
    assert_eq!(encode(&plain), encode(&fine));
    let coarser = VideoEncoderConfig {
        fine_qp: Some(24.5),
        ..plain.clone()
    };
    assert!(encode(&coarser).len() < encode(&plain).len());
}

/// One second of a stereo test signal at 32 kHz: two tones, a sweep and noise.
fn test_signal() -> Vec<f32> {
    let rate = 32_000.0;
    let mut state = 0x1234_5678u64;
    (0..32_000)
        .flat_map(|i| {
            let t = i as f64 / rate;
            let noise = (common::xorshift(&mut state) % 2001) as f64 / 1000.0 - 1.0;
            let left = 0.3 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 0.1 * (2.0 * std::f64::consts::PI * (200.0 + 3000.0 * t) * t).sin()
                + 0.02 * noise;
            let right = 0.25 * (2.0 * std::f64::consts::PI * 660.0 * t).sin() + 0.03 * noise;
            // As 16-bit PCM would give them.
            [left, right].map(|v| ((v * 32768.0).round() / 32768.0) as f32)
        })
        .collect()
}

#[test]
fn audio_reaches_psnr_targets_as_decoded() {
    let samples = test_signal();
    let config = AudioEncoderConfig {
        threads: 1,
        ..AudioEncoderConfig::for_tune(AudioTune::Psnr)
    };
    for db in [55.0, 70.0] {
        let target = Target::Psnr(db);
        let out = encode_audio_to_target(32_000, 2, &samples, &config, target).unwrap();
        let mut decoded = Vec::new();
        decode_audio(&out.stream[..], &AudioDecodeOptions::default(), |s| {
            // The 16-bit WAV a default decode writes, read back.
            decoded.extend(s.iter().map(|&v| {
                ((v as f64 * 32768.0).round().clamp(-32768.0, 32767.0) / 32768.0) as f32
            }));
            Ok(())
        })
        .unwrap();
        let measured = quanta::metrics::audio_psnr(&samples, &decoded).unwrap();
        assert_eq!(measured, out.reached);
        assert!(
            in_band(target, measured),
            "{db}: {measured} (offset {})",
            out.offset
        );
    }
    let perceptual = AudioEncoderConfig::default();
    assert!(encode_audio_to_target(32_000, 2, &samples, &perceptual, Target::Psnr(60.0)).is_err());
    assert!(encode_audio_to_target(32_000, 2, &samples, &config, Target::Ssim(0.9)).is_err());
}

#[test]
fn whole_step_offset_gives_the_bytes_of_the_quality() {
    let samples = test_signal();
    let encode = |rate: RateMode| {
        let config = AudioEncoderConfig {
            rate,
            ..AudioEncoderConfig::for_tune(AudioTune::Psnr)
        };
        let mut out = Vec::new();
        encode_audio(
            MemorySource::new(32_000, 2, samples.clone()),
            &config,
            &mut out,
        )
        .unwrap();
        out
    };
    // Quality 50 of the PSNR tune is step offset -24.
    assert_eq!(
        encode(RateMode::Quality(50)),
        encode(RateMode::StepOffset(-24.0))
    );
    assert!(encode(RateMode::StepOffset(-23.5)).len() < encode(RateMode::Quality(50)).len());
}

fn quanta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the quanta binary runs")
}

#[test]
fn cli_target_encodes_print_what_they_reached_and_refuse_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let picture = synthetic_picture(64, 48, PixelLayout::Rgb, 11);
    let png = dir.path().join("in.png");
    let bytes = quanta::media::image::encode_picture_file(
        &picture,
        quanta::media::image::PictureFormat::Png,
    )
    .unwrap();
    std::fs::write(&png, bytes).unwrap();
    let (png, qnt) = (png.to_str().unwrap(), dir.path().join("out.qnt"));
    let qnt = qnt.to_str().unwrap();

    let o = quanta(&["encode", png, "-o", qnt, "--target-psnr", "36"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("target PSNR 36.00 dB -> reached 36.0"),
        "{err}"
    );
    assert!(err.contains("passes"), "{err}");
    let size = std::fs::metadata(qnt).unwrap().len();
    assert!(err.contains(&format!("{size} bytes")), "{err}");

    // Out of reach: an error, and neither the file nor a partial one is left.
    std::fs::remove_file(qnt).unwrap();
    let o = quanta(&["encode", png, "-o", qnt, "--target-psnr", "90"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("out of reach"));
    assert!(!std::path::Path::new(qnt).exists());
    let partial = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains("partial"));
    assert!(!partial);

    // Conflicts are usage errors.
    for extra in [
        &["--quality", "50"][..],
        &["--bitrate", "100"],
        &["--lossless"],
        &["--max-error", "2"],
        &["--target-ssim", "0.9"],
    ] {
        let mut args = vec!["encode", png, "-o", qnt, "--target-psnr", "36"];
        args.extend_from_slice(extra);
        let o = quanta(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
    }
    let o = quanta(&[
        "encode",
        png,
        "-o",
        qnt,
        "--target-ssim",
        "0.9",
        "--quality",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cli_audio_target_needs_the_psnr_tune() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let samples = test_signal();
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 32_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for s in &samples {
        w.write_sample((s * 32768.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    let (wav, qnt) = (wav.to_str().unwrap(), dir.path().join("a.qnt"));
    let qnt = qnt.to_str().unwrap();
    let o = quanta(&["encode", wav, "-o", qnt, "--target-psnr", "60"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tune psnr"));
    let o = quanta(&[
        "encode",
        wav,
        "-o",
        qnt,
        "--tune",
        "psnr",
        "--target-ssim",
        "0.9",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = quanta(&[
        "encode",
        wav,
        "-o",
        qnt,
        "--tune",
        "psnr",
        "--target-psnr",
        "60",
    ]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("target PSNR 60.00 dB -> reached 60.0"),
        "{err}"
    );
}

#[test]
fn cli_video_target_from_a_pipe_is_buffered_and_reached() {
    use std::io::Write;
    let (w, h) = (64, 48);
    let frames = clip(w, h, 10);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (25, 1));
    let mut writer = quanta::media::y4m::Y4mWriter::new(Vec::new(), header).unwrap();
    for f in &frames {
        writer.write_frame(f).unwrap();
    }
    let y4m = writer.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let qnt = dir.path().join("v.qnt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args([
            "encode",
            "-",
            "-o",
            qnt.to_str().unwrap(),
            "--target-psnr",
            "38",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&y4m);
    });
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(err.contains("target PSNR 38.00 dB -> reached 38."), "{err}");
    let stream = std::fs::read(&qnt).unwrap();
    let mut dec = VideoStreamDecoder::new(&stream[..], Limits::default(), 1).unwrap();
    let mut sums = VideoQualitySums::default();
    let mut n = 0;
    while let Some(d) = dec.next_frame().unwrap() {
        sums.add(&frames[n], &d.frame).unwrap();
        n += 1;
    }
    let psnr = sums.finish().unwrap().psnr_yuv;
    assert!(
        psnr >= 38.0 && err.contains(&format!("reached {psnr:.2} dB")),
        "{psnr}: {err}"
    );
}
