//! Integration tests of the video codec: reconstruction equals decoding, thread-count
//! independence, odd sizes and every chroma layout, damage and truncation, rate control,
//! and the command line with a real ffmpeg on both ends of a pipe.

mod common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::process::{Command, Stdio};

use quanta::codec::video::slice::Preset;
use quanta::codec::video::{VideoEncoder, VideoEncoderConfig, VideoStreamDecoder};
use quanta::media::y4m::{ChromaFormat, Y4mHeader, Y4mReader, Y4mWriter, YuvFrame};
use quanta::Limits;

/// A textured picture drifting by (2, 1) samples per frame with a moving square.
fn clip(w: usize, h: usize, chroma: ChromaFormat, frames: usize) -> Vec<YuvFrame> {
    (0..frames)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, chroma, 0);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                let (sx, sy) = if p == 0 { (0, 0) } else { chroma.shifts() };
                for y in 0..plane.height {
                    for x in 0..plane.width {
                        let gx = ((x << sx) + 2 * f) as f64;
                        let gy = ((y << sy) + f) as f64;
                        let mut v = 128.0
                            + 60.0 * (gx * 0.21).sin() * (gy * 0.13).cos()
                            + 20.0 * ((gx + gy) * 0.05).sin();
                        let (bx, by) = (((x << sx) + 3 * f) % w, (y << sy) % h);
                        if bx < 10 && (8..20).contains(&by) {
                            v = 230.0 - 40.0 * p as f64;
                        }
                        plane.data[y * plane.width + x] = v.clamp(0.0, 255.0) as u8;
                    }
                }
            }
            frame
        })
        .collect()
}

fn hash(frame: &YuvFrame) -> u64 {
    let mut h = DefaultHasher::new();
    frame.hash_planes(&mut h);
    h.finish()
}

trait HashPlanes {
    fn hash_planes(&self, h: &mut DefaultHasher);
}

impl HashPlanes for YuvFrame {
    fn hash_planes(&self, h: &mut DefaultHasher) {
        for p in &self.planes {
            (p.width, p.height).hash(h);
            p.data.hash(h);
        }
    }
}

/// Encodes frames; returns the stream and the hash of each reconstruction.
fn encode(
    w: usize,
    h: usize,
    chroma: ChromaFormat,
    frames: &[YuvFrame],
    config: &VideoEncoderConfig,
) -> (Vec<u8>, Vec<u64>) {
    let header = Y4mHeader::new(w as u32, h as u32, chroma, (30, 1));
    let mut enc = VideoEncoder::new(Vec::new(), &header, config).unwrap();
    let mut hashes = Vec::new();
    for f in frames {
        enc.encode_frame(f).unwrap();
        hashes.push(hash(enc.reconstruction().unwrap()));
    }
    (enc.finish().unwrap().0, hashes)
}

fn decode(stream: &[u8]) -> (Vec<YuvFrame>, Vec<bool>, usize) {
    let mut dec = VideoStreamDecoder::new(stream, Limits::default(), 2).unwrap();
    let mut frames = Vec::new();
    let mut concealed = Vec::new();
    while let Some(f) = dec.next_frame().unwrap() {
        frames.push(f.frame);
        concealed.push(f.concealed);
    }
    let damage = dec.damage().len();
    (frames, concealed, damage)
}

fn psnr(a: &YuvFrame, b: &YuvFrame) -> f64 {
    let (x, y) = (&a.planes[0].data, &b.planes[0].data);
    let mse = x
        .iter()
        .zip(y)
        .map(|(&p, &q)| (p as f64 - q as f64).powi(2))
        .sum::<f64>()
        / x.len() as f64;
    10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10()
}

#[test]
fn decoder_output_equals_encoder_reconstruction_for_every_layout_and_odd_sizes() {
    let cases = [
        (48, 32, ChromaFormat::Yuv420Jpeg),
        (50, 30, ChromaFormat::Yuv420Mpeg2),
        (37, 21, ChromaFormat::Yuv422),
        (24, 40, ChromaFormat::Yuv444),
        (33, 17, ChromaFormat::Mono),
    ];
    for (w, h, chroma) in cases {
        let frames = clip(w, h, chroma, 5);
        let config = VideoEncoderConfig {
            threads: 1,
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode(w, h, chroma, &frames, &config);
        let (decoded, concealed, damage) = decode(&stream);
        assert_eq!(damage, 0);
        assert!(concealed.iter().all(|&c| !c));
        let hashes: Vec<u64> = decoded.iter().map(hash).collect();
        assert_eq!(hashes, recon, "{w}x{h} {chroma:?}");
        // Measured per frame at the default quality: 42.5 to 51.0 dB over these layouts.
        for (a, b) in frames.iter().zip(&decoded) {
            assert!(
                psnr(a, b) > 40.0,
                "{w}x{h} {chroma:?}: {:.2} dB",
                psnr(a, b)
            );
        }
    }
}

/// A texture whose left part drifts right and right part drifts left, the boundary inside
/// a macroblock column, so that macroblocks on it want two vectors.
fn shear_clip(w: usize, h: usize, chroma: ChromaFormat, frames: usize) -> Vec<YuvFrame> {
    (0..frames)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, chroma, 0);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                let (sx, sy) = if p == 0 { (0, 0) } else { chroma.shifts() };
                for y in 0..plane.height {
                    for x in 0..plane.width {
                        let (lx, ly) = ((x << sx) as f64, (y << sy) as f64);
                        let shift = if (x << sx) < w / 2 + 8 { 3.0 } else { -3.0 };
                        let gx = lx - shift * f as f64;
                        let v = 128.0
                            + 70.0 * (gx * 0.31).sin() * (ly * 0.23).cos()
                            + 25.0 * ((gx - ly) * 0.11).sin();
                        plane.data[y * plane.width + x] = v.clamp(0.0, 255.0) as u8;
                    }
                }
            }
            frame
        })
        .collect()
}

#[test]
fn split_macroblocks_decode_exactly_in_every_layout() {
    for chroma in [
        ChromaFormat::Yuv420Jpeg,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
        ChromaFormat::Mono,
    ] {
        let (w, h) = (64, 48);
        let frames = shear_clip(w, h, chroma, 4);
        let header = Y4mHeader::new(w as u32, h as u32, chroma, (30, 1));
        // Without halves, which would take some of the split macroblocks' place.
        let config = VideoEncoderConfig {
            threads: 1,
            halves: false,
            ..VideoEncoderConfig::default()
        };
        let mut enc = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
        let mut recon = Vec::new();
        let mut split = 0;
        for f in &frames {
            split += enc.encode_frame(f).unwrap().split_mbs;
            recon.push(hash(enc.reconstruction().unwrap()));
        }
        let stream = enc.finish().unwrap().0;
        assert!(split > 0, "{chroma:?}: no macroblock was split");
        let (decoded, _, damage) = decode(&stream);
        assert_eq!(damage, 0);
        let hashes: Vec<u64> = decoded.iter().map(hash).collect();
        assert_eq!(hashes, recon, "{chroma:?}");
    }
}

#[test]
fn every_preset_decodes_exactly() {
    let frames = clip(64, 48, ChromaFormat::Yuv420Jpeg, 6);
    let mut streams = Vec::new();
    for preset in [
        Preset::Faster,
        Preset::Fast,
        Preset::Medium,
        Preset::Slow,
        Preset::Slower,
    ] {
        let config = VideoEncoderConfig {
            threads: 2,
            tuning: preset.tuning(),
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode(64, 48, ChromaFormat::Yuv420Jpeg, &frames, &config);
        let (decoded, concealed, damage) = decode(&stream);
        assert_eq!((damage, concealed.iter().filter(|&&c| c).count()), (0, 0));
        let hashes: Vec<u64> = decoded.iter().map(hash).collect();
        assert_eq!(hashes, recon, "{preset:?}");
        // Measured per frame: 44.9 to 50.0 dB for every preset.
        for (a, b) in frames.iter().zip(&decoded) {
            assert!(psnr(a, b) > 42.5, "{preset:?}: {:.2} dB", psnr(a, b));
        }
        streams.push(stream);
    }
    // The presets search differently, so their decisions (and bytes) differ.
    assert!(
        streams[0] != streams[1],
        "fast and medium made the same stream"
    );
    assert!(
        streams[1] != streams[3],
        "medium and slower made the same stream"
    );
}

#[test]
fn output_bytes_do_not_depend_on_the_thread_count() {
    let frames = clip(48, 64, ChromaFormat::Yuv420Jpeg, 4);
    let mut streams = Vec::new();
    for threads in [1, 2, 3] {
        let config = VideoEncoderConfig {
            threads,
            slice_rows: 1,
            ..VideoEncoderConfig::default()
        };
        streams.push(encode(48, 64, ChromaFormat::Yuv420Jpeg, &frames, &config).0);
    }
    assert_eq!(streams[0], streams[1]);
    assert_eq!(streams[0], streams[2]);
}

/// Encodes through `encode_stream` (the lookahead on its own thread when `lookahead` > 0).
fn encode_streamed(frames: &[YuvFrame], config: &VideoEncoderConfig) -> Vec<u8> {
    let (w, h) = (frames[0].planes[0].width, frames[0].planes[0].height);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (30, 1));
    let mut enc = VideoEncoder::new(Vec::new(), &header, config).unwrap();
    let mut next = frames.iter();
    enc.encode_stream(|| Ok(next.next().cloned())).unwrap();
    enc.finish().unwrap().0
}

#[test]
fn output_bytes_do_not_depend_on_the_lookahead_depth() {
    let frames = clip(48, 64, ChromaFormat::Yuv420Jpeg, 6);
    // Frame by frame (no B-frames) against the stream path without B-frames, then the
    // stream path with B-frames at every depth against its own inline run.
    let p_only = VideoEncoderConfig {
        threads: 1,
        bframes: 0,
        ..VideoEncoderConfig::default()
    };
    let (frame_by_frame, _) = encode(48, 64, ChromaFormat::Yuv420Jpeg, &frames, &p_only);
    let with_b = VideoEncoderConfig {
        threads: 1,
        lookahead: 0,
        ..VideoEncoderConfig::default()
    };
    let inline_b = encode_streamed(&frames, &with_b);
    assert!(inline_b != frame_by_frame, "the default codes B-frames");
    for lookahead in [0, 1, 3, 16] {
        for threads in [1, 2] {
            for (base, expected) in [(&p_only, &frame_by_frame), (&with_b, &inline_b)] {
                let config = VideoEncoderConfig {
                    threads,
                    lookahead,
                    ..base.clone()
                };
                let streamed = encode_streamed(&frames, &config);
                assert!(
                    &streamed == expected,
                    "lookahead {lookahead}, {threads} threads, {} B-frames",
                    base.bframes
                );
            }
        }
    }
}

/// Frames of a second, unrelated picture: fine noise-like detail the first clip lacks.
fn other_scene(w: usize, h: usize, frames: usize) -> Vec<YuvFrame> {
    (0..frames)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, ChromaFormat::Yuv420Jpeg, 128);
            let plane = &mut frame.planes[0];
            for (i, v) in plane.data.iter_mut().enumerate() {
                let (x, y) = (i % w + f, i / w);
                *v = ((x * 7919 + y * 104_729 + x * y * 31) % 223 + 16) as u8;
            }
            frame
        })
        .collect()
}

#[test]
fn a_scene_cut_becomes_a_keyframe() {
    let (w, h) = (64, 48);
    let mut frames = clip(w, h, ChromaFormat::Yuv420Jpeg, 5);
    frames.extend(other_scene(w, h, 4));
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (30, 1));
    for scene_cut in [true, false] {
        let config = VideoEncoderConfig {
            scene_cut,
            threads: 1,
            ..VideoEncoderConfig::default()
        };
        let mut enc = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
        let keys: Vec<usize> = frames
            .iter()
            .enumerate()
            .filter(|(_, f)| enc.encode_frame(f).unwrap().keyframe)
            .map(|(i, _)| i)
            .collect();
        let expected = if scene_cut { vec![0, 5] } else { vec![0] };
        assert_eq!(keys, expected, "scene cuts {scene_cut}");
    }
}

/// A sink that fails once more than `limit` bytes were written to it.
struct FailingSink {
    written: usize,
    limit: usize,
}

impl Write for FailingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() > self.limit {
            return Err(std::io::Error::other("disk full"));
        }
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_error_on_either_side_of_the_lookahead_ends_the_encode() {
    let frames = clip(48, 32, ChromaFormat::Yuv420Jpeg, 3);
    let header = Y4mHeader::new(48, 32, ChromaFormat::Yuv420Jpeg, (30, 1));
    let config = VideoEncoderConfig {
        threads: 1,
        lookahead: 4,
        ..VideoEncoderConfig::default()
    };
    // The source fails at its fourth frame: the encode reports that error.
    let mut enc = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
    let mut asked = 0;
    let err = enc
        .encode_stream(|| {
            asked += 1;
            match frames.get(asked - 1) {
                Some(f) => Ok(Some(f.clone())),
                None => Err(quanta::Error::InvalidStream("source cut off".into())),
            }
        })
        .unwrap_err();
    assert!(err.to_string().contains("source cut off"), "{err}");
    // The output fails (an endless source): the lookahead stops soon after, not at the
    // end of the source, and the error names the output.
    let sink = FailingSink {
        written: 0,
        limit: 2000,
    };
    let mut enc = VideoEncoder::new(sink, &header, &config).unwrap();
    let mut asked = 0usize;
    let err = enc
        .encode_stream(|| {
            asked += 1;
            Ok(Some(frames[asked % frames.len()].clone()))
        })
        .unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert!(
        asked < 100,
        "the lookahead read {asked} frames after the output failed"
    );
    // A frame of the wrong size is reported with its number.
    let mut enc = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
    let mut sizes = [(48, 32), (48, 32), (40, 32)].into_iter();
    let err = enc
        .encode_stream(|| {
            Ok(sizes
                .next()
                .map(|(w, h)| YuvFrame::filled(w, h, ChromaFormat::Yuv420Jpeg, 9)))
        })
        .unwrap_err();
    assert!(err.to_string().contains("frame 2"), "{err}");
}

#[test]
fn a_damaged_packet_is_concealed_and_decoding_resumes_at_the_next_keyframe() {
    let frames = clip(48, 32, ChromaFormat::Yuv420Jpeg, 7);
    let config = VideoEncoderConfig {
        keyint: 4,
        threads: 1,
        ..VideoEncoderConfig::default()
    };
    let (mut stream, recon) = encode(48, 32, ChromaFormat::Yuv420Jpeg, &frames, &config);
    let (clean, _, _) = decode(&stream);
    // Find packet 1 (the second sync word) and flip a payload byte.
    let sync = [0x9E, b'Q', b'P', b'K'];
    let starts: Vec<usize> = stream
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == sync)
        .map(|(i, _)| i)
        .collect();
    stream[starts[1] + 30] ^= 0x10;
    let (decoded, concealed, damage) = decode(&stream);
    assert_eq!(decoded.len(), 7);
    assert_eq!(damage, 1);
    assert_eq!(concealed, [false, true, true, true, false, false, false]);
    assert_eq!(decoded[1], clean[0]);
    assert_eq!(decoded[3], clean[0]);
    for i in 4..7 {
        assert_eq!(hash(&decoded[i]), recon[i]);
    }
    // A truncated stream keeps every complete frame and conceals the cut one.
    let (_, recon) = encode(48, 32, ChromaFormat::Yuv420Jpeg, &frames, &config);
    let (stream, _) = encode(48, 32, ChromaFormat::Yuv420Jpeg, &frames, &config);
    let cut = &stream[..starts[3] + 25];
    let mut dec = VideoStreamDecoder::new(cut, Limits::default(), 1).unwrap();
    let mut n = 0;
    while let Some(f) = dec.next_frame().unwrap() {
        if n < 3 {
            assert!(!f.concealed);
            assert_eq!(hash(&f.frame), recon[n]);
        } else {
            assert!(f.concealed);
        }
        n += 1;
    }
    assert!(!dec.is_complete());
    assert!(!dec.damage().is_empty());
    // Garbage after the header never panics.
    let mut garbage = stream.clone();
    for (i, b) in garbage.iter_mut().enumerate().skip(60) {
        *b = (i * 131 % 251) as u8;
    }
    let mut dec = VideoStreamDecoder::new(&garbage[..], Limits::default(), 1).unwrap();
    while dec.next_frame().unwrap().is_some() {}
}

#[test]
fn bitrate_mode_lands_near_its_target() {
    let frames = clip(64, 48, ChromaFormat::Yuv420Jpeg, 30);
    for kbps in [60, 150] {
        let config = VideoEncoderConfig {
            bitrate_kbps: Some(kbps),
            threads: 1,
            ..VideoEncoderConfig::default()
        };
        let header = Y4mHeader::new(64, 48, ChromaFormat::Yuv420Jpeg, (30, 1));
        let mut enc = VideoEncoder::new(Vec::new(), &header, &config).unwrap();
        for f in &frames {
            enc.encode_frame(f).unwrap();
        }
        // The whole stream, container included, over one second.
        let actual = enc.finish().unwrap().0.len() as f64 * 8.0 / 1000.0;
        let error = (actual - kbps as f64) / kbps as f64;
        eprintln!("{kbps} kbit/s asked, {actual:.1} got");
        assert!(error.abs() < 0.05, "{kbps} kbit/s asked, {actual:.1} got");
    }
}

fn y4m_bytes(w: usize, h: usize, chroma: ChromaFormat, frames: &[YuvFrame]) -> Vec<u8> {
    let header = Y4mHeader::new(w as u32, h as u32, chroma, (25, 1));
    let mut writer = Y4mWriter::new(Vec::new(), header).unwrap();
    for f in frames {
        writer.write_frame(f).unwrap();
    }
    writer.finish().unwrap()
}

/// `Some("ffmpeg")` when ffmpeg runs; otherwise fails under CI or skips elsewhere.
fn ffmpeg() -> Option<&'static str> {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let missing = (!ok).then(|| {
        "ffmpeg is required by this test and was not found: install it (apt-get install -y ffmpeg)"
            .to_string()
    });
    common::external_tool_ready(missing).then_some("ffmpeg")
}

#[test]
fn cli_round_trip_through_ffmpeg_pipes() {
    let Some(ffmpeg) = ffmpeg() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = y4m_bytes(
        50,
        30,
        ChromaFormat::Yuv420Jpeg,
        &clip(50, 30, ChromaFormat::Yuv420Jpeg, 5),
    );
    let src_path = dir.path().join("src.y4m");
    std::fs::write(&src_path, &source).unwrap();
    let mp4 = dir.path().join("clip.mkv");
    let st = Command::new(ffmpeg)
        .args(["-v", "error", "-y", "-i"])
        .arg(&src_path)
        .args(["-c:v", "ffv1"])
        .arg(&mp4)
        .status()
        .unwrap();
    assert!(st.success());
    let qnt = dir.path().join("clip.qnt");
    let quanta = env!("CARGO_BIN_EXE_quanta");
    // ffmpeg -i clip -f yuv4mpegpipe - | quanta encode - -o clip.qnt --quality 60
    let mut producer = Command::new(ffmpeg)
        .args(["-v", "error", "-i"])
        .arg(&mp4)
        .args(["-f", "yuv4mpegpipe", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let st = Command::new(quanta)
        .args(["encode", "-", "-o"])
        .arg(&qnt)
        .args(["--quality", "60"])
        .stdin(producer.stdout.take().unwrap())
        .status()
        .unwrap();
    assert!(st.success());
    assert!(producer.wait().unwrap().success());
    // quanta decode clip.qnt -o - | ffmpeg -i - ...
    let mut decoder = Command::new(quanta)
        .args(["decode"])
        .arg(&qnt)
        .args(["-o", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let back = dir.path().join("back.y4m");
    let st = Command::new(ffmpeg)
        .args(["-v", "error", "-y", "-i", "-"])
        .stdin(decoder.stdout.take().unwrap())
        .arg(&back)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(decoder.wait().unwrap().success());
    let out = Command::new(quanta)
        .args(["compare"])
        .arg(&src_path)
        .arg(&back)
        .args(["--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["frames"], 5);
    assert!(v["psnr_yuv_611"].as_f64().unwrap() > 30.0, "{v}");
    // `quanta info` names the video parameters.
    let out = Command::new(quanta).arg("info").arg(&qnt).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("50x30"), "{text}");
    // An absurd Y4M header is refused with a message naming the field.
    let mut child = Command::new(quanta)
        .args(["encode", "-", "-o"])
        .arg(dir.path().join("bad.qnt"))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"YUV4MPEG2 W99999 H99999 C420jpeg\nFRAME\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("picture width"));
    assert!(!dir.path().join("bad.qnt").exists());
    // A damaged stream still decodes every frame, names the damage and exits with 3.
    let mut damaged = std::fs::read(&qnt).unwrap();
    let at = damaged.len() * 2 / 3;
    damaged[at] ^= 0x55;
    let bad = dir.path().join("damaged.qnt");
    std::fs::write(&bad, &damaged).unwrap();
    let concealed = dir.path().join("concealed.y4m");
    let out = Command::new(quanta)
        .arg("decode")
        .arg(&bad)
        .arg("-o")
        .arg(&concealed)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("concealed"));
    let bytes = std::fs::read(&concealed).unwrap();
    let mut r = Y4mReader::new(&bytes[..], "concealed", &Limits::default()).unwrap();
    while r.next_frame().unwrap().is_some() {}
    assert_eq!(r.frames_read(), 5);
    // The Y4M reader reads what the decoder wrote.
    let bytes = std::fs::read(&back).unwrap();
    let mut r = Y4mReader::new(&bytes[..], "back", &Limits::default()).unwrap();
    assert_eq!(r.header().width, 50);
    while r.next_frame().unwrap().is_some() {}
    assert_eq!(r.frames_read(), 5);
}

/// Replays a leaky-bucket decoder buffer (starts full, `inflow` bits per frame, at most
/// `size`) over packet sizes in bits; true when some packet took more than it held.
fn underflows(packets: &[f64], inflow: f64, size: f64) -> bool {
    let mut fill = size;
    for &bits in packets {
        if bits > fill {
            return true;
        }
        fill = (fill - bits + inflow).min(size);
    }
    false
}

#[test]
fn vbv_bound_keeps_the_decoder_buffer_from_underflowing() {
    let (w, h) = (64, 48);
    let frames = clip(w, h, ChromaFormat::Yuv420Jpeg, 30);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (30, 1));
    let packets = |config: &VideoEncoderConfig| -> (Vec<f64>, Vec<u8>) {
        let mut enc = VideoEncoder::new(Vec::new(), &header, config).unwrap();
        let overhead = quanta::container::PACKET_OVERHEAD_BYTES;
        let bits = frames
            .iter()
            .map(|f| (enc.encode_frame(f).unwrap().bytes + overhead) as f64 * 8.0)
            .collect();
        (bits, enc.finish().unwrap().0)
    };
    let free = VideoEncoderConfig {
        quality: 95,
        keyint: 10,
        threads: 1,
        lookahead: 0,
        ..VideoEncoderConfig::default()
    };
    let (unbounded, _) = packets(&free);
    // A maximum rate of half the clip's own mean rate and a buffer of three frames of it.
    let mean = unbounded.iter().sum::<f64>() / unbounded.len() as f64;
    let maxrate = ((mean * 30.0 / 2.0) / 1000.0).floor().max(1.0) as u32;
    let inflow = maxrate as f64 * 1000.0 / 30.0;
    let bufsize = (3.0 * inflow / 1000.0).ceil() as u32;
    let size = bufsize as f64 * 1000.0;
    assert!(underflows(&unbounded, inflow, size), "the bound must bite");
    for config in [
        VideoEncoderConfig {
            vbv: Some((maxrate, bufsize)),
            ..free.clone()
        },
        VideoEncoderConfig {
            vbv: Some((maxrate, bufsize)),
            bitrate_kbps: Some(2 * maxrate),
            ..free.clone()
        },
    ] {
        let (bounded, stream) = packets(&config);
        assert!(!underflows(&bounded, inflow, size), "{bounded:?} in {size}");
        let (decoded, concealed, damage) = decode(&stream);
        assert_eq!(decoded.len(), frames.len());
        assert!(concealed.iter().all(|&c| !c) && damage == 0);
    }
    // A buffer smaller than one frame of inflow is refused.
    let tiny = VideoEncoderConfig {
        vbv: Some((300, 9)),
        ..free
    };
    assert!(VideoEncoder::new(Vec::new(), &header, &tiny).is_err());
}

/// Keyframes coded with the block coder (the default where the layout allows it) against
/// the macroblock syntax on an all-keyframe clip: fewer bytes at no lower quality, exact
/// decoding, and 4:2:2 (which the block coder lacks) keeps the macroblock syntax.
#[test]
fn block_coded_keyframes_beat_macroblock_keyframes() {
    use quanta::codec::video::params::FLAG_BLOCK_KEYFRAMES;
    let (w, h) = (64, 48);
    let frames = clip(w, h, ChromaFormat::Yuv420Jpeg, 3);
    let mut results = Vec::new();
    for block_keyframes in [true, false] {
        let config = VideoEncoderConfig {
            keyint: 1,
            block_keyframes,
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode(w, h, ChromaFormat::Yuv420Jpeg, &frames, &config);
        let dec = VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
        assert_eq!(
            dec.params().flags & FLAG_BLOCK_KEYFRAMES != 0,
            block_keyframes
        );
        let (decoded, _, damage) = decode(&stream);
        assert_eq!(damage, 0);
        assert_eq!(decoded.iter().map(hash).collect::<Vec<_>>(), recon);
        let mean_psnr = frames
            .iter()
            .zip(&decoded)
            .map(|(a, b)| psnr(a, b))
            .sum::<f64>()
            / frames.len() as f64;
        results.push((stream.len(), mean_psnr));
    }
    let [(block_bytes, block_psnr), (mb_bytes, mb_psnr)] = [results[0], results[1]];
    assert!(
        block_bytes < mb_bytes && block_psnr > mb_psnr - 0.2,
        "block coder {block_bytes} bytes {block_psnr:.2} dB, macroblocks {mb_bytes} bytes \
         {mb_psnr:.2} dB"
    );
    let frames = clip(w, h, ChromaFormat::Yuv422, 2);
    let (stream, _) = encode(
        w,
        h,
        ChromaFormat::Yuv422,
        &frames,
        &VideoEncoderConfig::default(),
    );
    let dec = VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
    assert_eq!(dec.params().flags & FLAG_BLOCK_KEYFRAMES, 0);
}

/// Inter residuals coded with the block coder's transforms (the default where the layout
/// allows it) against 8×8 blocks of the picture syntax, on a clip of one keyframe and
/// inter frames: fewer bytes at no lower quality, exact decoding.
#[test]
fn block_coded_inter_residuals_beat_8x8_blocks() {
    use quanta::codec::video::params::FLAG_BLOCK_RESIDUALS;
    let (w, h) = (64, 48);
    let frames = shear_clip(w, h, ChromaFormat::Yuv420Jpeg, 6);
    let mut results = Vec::new();
    for block_residuals in [true, false] {
        // Macroblock quantizer changes need block-coded residuals: off in both, so that
        // only the residual syntax differs.
        let config = VideoEncoderConfig {
            block_residuals,
            mb_qp: false,
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode(w, h, ChromaFormat::Yuv420Jpeg, &frames, &config);
        let dec = VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
        assert_eq!(
            dec.params().flags & FLAG_BLOCK_RESIDUALS != 0,
            block_residuals
        );
        let (decoded, _, damage) = decode(&stream);
        assert_eq!(damage, 0);
        assert_eq!(decoded.iter().map(hash).collect::<Vec<_>>(), recon);
        let mean_psnr = frames
            .iter()
            .zip(&decoded)
            .map(|(a, b)| psnr(a, b))
            .sum::<f64>()
            / frames.len() as f64;
        results.push((stream.len(), mean_psnr));
    }
    let [(tx_bytes, tx_psnr), (old_bytes, old_psnr)] = [results[0], results[1]];
    assert!(
        tx_bytes < old_bytes && tx_psnr > old_psnr - 0.2,
        "block coder {tx_bytes} bytes {tx_psnr:.2} dB, 8×8 blocks {old_bytes} bytes \
         {old_psnr:.2} dB"
    );
}

/// Two scenes in turn, frame by frame (A B A B ...): with two or more references each
/// frame predicts from the frame of its own scene two back.
#[test]
fn older_references_pay_where_the_previous_frame_does_not_predict() {
    let (w, h) = (48, 32);
    let a = clip(w, h, ChromaFormat::Yuv420Jpeg, 8);
    let b = other_scene(w, h, 8);
    let frames: Vec<YuvFrame> = (0..8)
        .map(|f| {
            if f % 2 == 0 {
                a[f].clone()
            } else {
                b[f].clone()
            }
        })
        .collect();
    let mut sizes = Vec::new();
    for refs in [1, 2, 4] {
        // The newest frames only: the last place's finest frame would be the keyframe.
        let config = VideoEncoderConfig {
            refs,
            finest_ref: false,
            scene_cut: false,
            threads: 2,
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode(w, h, ChromaFormat::Yuv420Jpeg, &frames, &config);
        let dec = VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
        assert_eq!(dec.params().refs, refs);
        let (decoded, concealed, damage) = decode(&stream);
        assert_eq!(damage, 0);
        assert!(concealed.iter().all(|&c| !c));
        assert_eq!(
            decoded.iter().map(hash).collect::<Vec<_>>(),
            recon,
            "refs {refs}"
        );
        let single = VideoEncoderConfig {
            threads: 1,
            ..config
        };
        let (one_thread, _) = encode(w, h, ChromaFormat::Yuv420Jpeg, &frames, &single);
        assert_eq!(
            one_thread, stream,
            "refs {refs}: bytes depend on the threads"
        );
        sizes.push(stream.len());
    }
    assert!(
        sizes[1] * 10 < sizes[0] * 8 && sizes[2] <= sizes[1] + sizes[1] / 20,
        "bytes with 1, 2 and 4 references: {sizes:?}"
    );
}

/// Stripes 8 rows high that move apart, every other one left and right: each macroblock
/// holds one stripe moving each way, which two 16×8 halves predict.
fn opposite_stripes(w: usize, h: usize, chroma: ChromaFormat, frames: usize) -> Vec<YuvFrame> {
    (0..frames)
        .map(|f| {
            let mut frame = YuvFrame::filled(w, h, chroma, 128);
            for (p, plane) in frame.planes.iter_mut().enumerate() {
                let (sx, sy) = if p == 0 { (0, 0) } else { chroma.shifts() };
                for y in 0..plane.height {
                    let right = ((y << sy) / 8) % 2 == 0;
                    for x in 0..plane.width {
                        let shift = 3.0 * f as f64;
                        let gx = (x << sx) as f64 + if right { -shift } else { shift };
                        let gy = (y << sy) as f64;
                        let v = 128.0 + 70.0 * (gx * 0.19).sin() * (gy * 0.23 + 1.0).cos();
                        plane.data[y * plane.width + x] = v.clamp(0.0, 255.0) as u8;
                    }
                }
            }
            frame
        })
        .collect()
}

#[test]
fn halves_pay_where_each_half_of_a_macroblock_moves_its_own_way() {
    use quanta::codec::video::params::FLAG_HALVES;
    let (w, h) = (64, 48);
    for chroma in [
        ChromaFormat::Yuv420Jpeg,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
        ChromaFormat::Mono,
    ] {
        let frames = opposite_stripes(w, h, chroma, 6);
        let mut sizes = Vec::new();
        for halves in [true, false] {
            let config = VideoEncoderConfig {
                halves,
                threads: 2,
                ..VideoEncoderConfig::default()
            };
            let (stream, recon) = encode(w, h, chroma, &frames, &config);
            let dec = VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
            assert_eq!(dec.params().flags & FLAG_HALVES != 0, halves);
            let (decoded, _, damage) = decode(&stream);
            assert_eq!(damage, 0);
            let hashes: Vec<u64> = decoded.iter().map(hash).collect();
            assert_eq!(hashes, recon, "{chroma:?}");
            let single = VideoEncoderConfig {
                threads: 1,
                ..config
            };
            assert_eq!(encode(w, h, chroma, &frames, &single).0, stream);
            sizes.push(stream.len());
        }
        let [with, without] = [sizes[0], sizes[1]];
        assert!(
            with < without,
            "{chroma:?}: {with} bytes with halves, {without} without"
        );
    }
}

/// A still left half and a right half of fresh noise every frame.
fn still_and_noise(w: usize, h: usize, frames: usize) -> Vec<YuvFrame> {
    let still = clip(w, h, ChromaFormat::Yuv420Jpeg, 1).remove(0);
    (0..frames)
        .map(|f| {
            let mut frame = still.clone();
            let plane = &mut frame.planes[0];
            for y in 0..h {
                for x in w / 2..w {
                    plane.data[y * w + x] = ((x * 7919 + y * 104_729 + f * 15_485_863) % 253) as u8;
                }
            }
            frame
        })
        .collect()
}

/// Macroblock quantizer changes (on by default) are coded where content stays and content
/// changes side by side; the decoder follows them exactly, at every thread count, and they
/// differ from a stream without them.
#[test]
fn macroblock_quantizer_changes_decode_exactly() {
    use quanta::codec::video::params::FLAG_MB_QP;
    let (w, h) = (64, 48);
    let frames = still_and_noise(w, h, 6);
    let mut streams = Vec::new();
    for (threads, mb_qp) in [(1, true), (2, true), (1, false)] {
        let config = VideoEncoderConfig {
            threads,
            slice_rows: 1,
            mb_qp,
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode(w, h, ChromaFormat::Yuv420Jpeg, &frames, &config);
        let dec = VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1).unwrap();
        assert_eq!(dec.params().flags & FLAG_MB_QP != 0, mb_qp);
        let (decoded, _, damage) = decode(&stream);
        assert_eq!(damage, 0);
        assert_eq!(decoded.iter().map(hash).collect::<Vec<_>>(), recon);
        streams.push((stream, recon));
    }
    assert_eq!(streams[0], streams[1], "the same bytes at 1 and 2 threads");
    assert_ne!(
        streams[0].1, streams[2].1,
        "the changes moved the reconstruction"
    );
}

/// Encodes frames through the stream path (B-frames when the config asks); returns the
/// stream and the hash of each reconstruction in display order.
fn encode_grouped(
    w: usize,
    h: usize,
    chroma: ChromaFormat,
    frames: &[YuvFrame],
    config: &VideoEncoderConfig,
) -> (Vec<u8>, Vec<u64>) {
    let header = Y4mHeader::new(w as u32, h as u32, chroma, (30, 1));
    let mut enc = VideoEncoder::new(Vec::new(), &header, config).unwrap();
    enc.keep_reconstructions();
    let mut next = frames.iter();
    enc.encode_stream(|| Ok(next.next().cloned())).unwrap();
    let recon = enc.take_reconstructions();
    let numbers: Vec<u64> = recon.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (0..frames.len() as u64).collect::<Vec<_>>());
    let hashes = recon.iter().map(|(_, f)| hash(f)).collect();
    (enc.finish().unwrap().0, hashes)
}

/// Each packet's frame type (0 P, 1 key, 2 B) and display number, in coding order.
fn frame_types(stream: &[u8]) -> Vec<(u8, u32)> {
    use quanta::container::{ContainerReader, ReadEvent};
    let mut reader = ContainerReader::new(stream, Limits::default()).unwrap();
    let mut out = Vec::new();
    while let Some(event) = reader.next_event().unwrap() {
        if let ReadEvent::Packet(p) = event {
            let number =
                u32::from_le_bytes([p.payload[2], p.payload[3], p.payload[4], p.payload[5]]);
            out.push((p.payload[0], number));
        }
    }
    out
}

#[test]
fn b_frames_decode_exactly_in_display_order_in_every_layout() {
    let cases = [
        (48, 32, ChromaFormat::Yuv420Jpeg),
        (37, 21, ChromaFormat::Yuv422),
        (24, 40, ChromaFormat::Yuv444),
        (33, 17, ChromaFormat::Mono),
    ];
    for (w, h, chroma) in cases {
        let frames = clip(w, h, chroma, 14);
        let config = VideoEncoderConfig {
            bframes: 3,
            keyint: 9,
            threads: 1,
            lookahead: 0,
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode_grouped(w, h, chroma, &frames, &config);
        // Groups of three B-frames after their anchor, the one before the keyframe at 9
        // and the last one shortened.
        let types = frame_types(&stream);
        let expected: Vec<(u8, u32)> = vec![
            (1, 0),
            (0, 4),
            (2, 1),
            (2, 2),
            (2, 3),
            (0, 8),
            (2, 5),
            (2, 6),
            (2, 7),
            (1, 9),
            (0, 13),
            (2, 10),
            (2, 11),
            (2, 12),
        ];
        assert_eq!(types, expected, "{w}x{h} {chroma:?}");
        let (decoded, concealed, damage) = decode(&stream);
        assert_eq!(damage, 0);
        assert!(concealed.iter().all(|&c| !c));
        let hashes: Vec<u64> = decoded.iter().map(hash).collect();
        assert_eq!(hashes, recon, "{w}x{h} {chroma:?}");
        for (n, (a, b)) in frames.iter().zip(&decoded).enumerate() {
            assert!(
                psnr(a, b) > 35.0,
                "{w}x{h} {chroma:?} frame {n}: {:.2} dB",
                psnr(a, b)
            );
        }
        // The same bytes on two threads and with the lookahead on its own thread.
        let other = VideoEncoderConfig {
            threads: 2,
            lookahead: 3,
            ..config.clone()
        };
        assert_eq!(encode_grouped(w, h, chroma, &frames, &other).0, stream);
    }
}

/// Frame-level threading codes each anchor beside the B-frames before it; the bytes must
/// not depend on the thread count, under bitrate control too (where every index is chosen
/// before the frames coded together are booked), and the rate must still be met.
#[test]
fn anchors_coded_beside_b_frames_give_the_same_bytes_on_any_thread_count() {
    let (w, h) = (64, 80);
    let frames = clip(w, h, ChromaFormat::Yuv420Jpeg, 30);
    for bitrate_kbps in [None, Some(150)] {
        let config = VideoEncoderConfig {
            bframes: 3,
            bitrate_kbps,
            slice_rows: 2,
            threads: 1,
            lookahead: 0,
            ..VideoEncoderConfig::default()
        };
        let (stream, recon) = encode_grouped(w, h, ChromaFormat::Yuv420Jpeg, &frames, &config);
        let types = frame_types(&stream);
        assert!(types.iter().filter(|t| t.0 == 2).count() >= 20, "{types:?}");
        for threads in [2, 3, 5] {
            let other = VideoEncoderConfig {
                threads,
                ..config.clone()
            };
            let (s, r) = encode_grouped(w, h, ChromaFormat::Yuv420Jpeg, &frames, &other);
            assert!(s == stream, "{bitrate_kbps:?} kbit/s, {threads} threads");
            assert_eq!(r, recon);
        }
        if let Some(kbps) = bitrate_kbps {
            let actual = stream.len() as f64 * 8.0 / 1000.0;
            assert!(
                (actual / kbps as f64 - 1.0).abs() < 0.05,
                "{kbps} kbit/s asked, {actual:.1} got"
            );
        }
    }
}

#[test]
fn b_frames_take_fewer_bytes_than_p_frames_on_smooth_motion() {
    let (w, h) = (64, 48);
    let frames = clip(w, h, ChromaFormat::Yuv420Jpeg, 16);
    let p_only = VideoEncoderConfig {
        threads: 1,
        bframes: 0,
        ..VideoEncoderConfig::default()
    };
    let with_b = VideoEncoderConfig {
        bframes: 3,
        ..p_only.clone()
    };
    let (p_stream, _) = encode_grouped(w, h, ChromaFormat::Yuv420Jpeg, &frames, &p_only);
    let (b_stream, _) = encode_grouped(w, h, ChromaFormat::Yuv420Jpeg, &frames, &with_b);
    let (p_frames, _, _) = decode(&p_stream);
    let (b_frames, _, _) = decode(&b_stream);
    let mean = |d: &[YuvFrame]| {
        frames.iter().zip(d).map(|(a, b)| psnr(a, b)).sum::<f64>() / frames.len() as f64
    };
    let (p_db, b_db) = (mean(&p_frames), mean(&b_frames));
    assert!(
        b_stream.len() < p_stream.len() && b_db > p_db - 1.5,
        "B-frames {} bytes at {b_db:.2} dB, P-frames {} bytes at {p_db:.2} dB",
        b_stream.len(),
        p_stream.len()
    );
}

#[test]
fn a_lost_packet_in_a_b_frame_stream_is_concealed_in_display_order() {
    let frames = clip(48, 32, ChromaFormat::Yuv420Jpeg, 10);
    let config = VideoEncoderConfig {
        bframes: 2,
        keyint: 6,
        threads: 1,
        ..VideoEncoderConfig::default()
    };
    let (mut stream, recon) = encode_grouped(48, 32, ChromaFormat::Yuv420Jpeg, &frames, &config);
    // Coding order: I0 P3 B1 B2 P5 B4 I6 P9 B7 B8 (the keyframe at 6 ends the group
    // before it early).
    let types = frame_types(&stream);
    assert_eq!(types[..4], [(1, 0), (0, 3), (2, 1), (2, 2)]);
    // Damage the packet of P3 (the second): B1, B2 and everything up to the keyframe are
    // concealed, and the keyframe's group decodes exactly.
    let sync = [0x9E, b'Q', b'P', b'K'];
    let starts: Vec<usize> = stream
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == sync)
        .map(|(i, _)| i)
        .collect();
    stream[starts[1] + 30] ^= 0x10;
    let (decoded, concealed, damage) = decode(&stream);
    assert_eq!(decoded.len(), 10, "one frame out per frame in");
    assert!(damage >= 1);
    let key = types.iter().position(|t| t.0 == 1 && t.1 > 0).unwrap();
    let key_number = types[key].1 as usize;
    assert!(!concealed[0]);
    assert_eq!(hash(&decoded[0]), recon[0]);
    for n in 1..key_number {
        assert!(concealed[n], "frame {n} depends on the lost anchor");
    }
    for n in key_number..10 {
        assert!(!concealed[n], "frame {n} follows the keyframe");
        assert_eq!(hash(&decoded[n]), recon[n], "frame {n}");
    }
}
