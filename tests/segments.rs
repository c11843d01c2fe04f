//! Video segments: `quanta encode --segment START:FRAMES` codes a closed piece of a clip,
//! `quanta concat` joins the pieces, and the joined stream decodes in one pass to exactly
//! the frames of the pieces decoded one by one. Streams coded with other parameters are
//! refused without leaving an output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use quanta::media::y4m::{ChromaFormat, Y4mHeader, Y4mReader, Y4mWriter, YuvFrame};
use quanta::Limits;

fn quanta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the quanta binary runs")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A small clip that drifts, with a cut to another scene half-way.
fn write_clip(path: &Path, frames: usize) {
    let (w, h) = (48, 32);
    let header = Y4mHeader::new(w as u32, h as u32, ChromaFormat::Yuv420Jpeg, (25, 1));
    let mut out = Y4mWriter::new(Vec::new(), header).unwrap();
    for f in 0..frames {
        let mut frame = YuvFrame::filled(w, h, ChromaFormat::Yuv420Jpeg, 0);
        let scene = if f < frames / 2 { 0.21 } else { 0.47 };
        for (p, plane) in frame.planes.iter_mut().enumerate() {
            for y in 0..plane.height {
                for x in 0..plane.width {
                    let gx = (x + 2 * f) as f64;
                    let gy = (y + f) as f64;
                    let v = 128.0 + 60.0 * (gx * scene).sin() * (gy * 0.13).cos() - 9.0 * p as f64;
                    plane.data[y * plane.width + x] = v.clamp(0.0, 255.0) as u8;
                }
            }
        }
        out.write_frame(&frame).unwrap();
    }
    std::fs::write(path, out.finish().unwrap()).unwrap();
}

fn read_frames(path: &Path) -> Vec<YuvFrame> {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = Y4mReader::new(file, "decoded", &Limits::default()).unwrap();
    let mut frames = Vec::new();
    while let Some(f) = reader.next_frame().unwrap() {
        frames.push(f);
    }
    frames
}

fn encode_segment(dir: &Path, clip: &Path, segment: &str, quality: &str) -> PathBuf {
    let out = dir.join(format!("seg-{}-q{quality}.qnt", segment.replace(':', "_")));
    let o = quanta(&[
        "encode",
        s(clip),
        "--segment",
        segment,
        "-q",
        quality,
        "--threads",
        "1",
        "-o",
        s(&out),
    ]);
    ok(&o);
    out
}

fn decode(stream: &Path, out: &Path) -> Vec<YuvFrame> {
    ok(&quanta(&[
        "decode",
        s(stream),
        "-o",
        s(out),
        "--threads",
        "1",
    ]));
    read_frames(out)
}

#[test]
fn joined_segments_decode_to_the_segments_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.y4m");
    write_clip(&clip, 13);
    // The last segment asks for more frames than are left and gets the 3 there are.
    let segments = ["0:5", "5:5", "10:5"];
    let paths: Vec<PathBuf> = segments
        .iter()
        .map(|seg| encode_segment(dir.path(), &clip, seg, "60"))
        .collect();
    let mut expected = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let frames = decode(p, &dir.path().join(format!("seg{i}.y4m")));
        assert_eq!(frames.len(), [5, 5, 3][i]);
        expected.extend(frames);
    }
    let joined = dir.path().join("joined.qnt");
    let mut args = vec!["concat"];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["-o", s(&joined)]);
    ok(&quanta(&args));
    // `decode` exits 0 only for a complete stream without gaps or damage.
    let decoded = decode(&joined, &dir.path().join("joined.y4m"));
    assert_eq!(decoded.len(), 13);
    for (i, (a, b)) in decoded.iter().zip(&expected).enumerate() {
        assert!(a == b, "frame {i} differs");
    }
    // The segments are close to the source: a segment codes the frames it names.
    let source = read_frames(&clip);
    let mean_error = |a: &YuvFrame, b: &YuvFrame| {
        let (x, y) = (&a.planes[0].data, &b.planes[0].data);
        x.iter()
            .zip(y)
            .map(|(&p, &q)| (p as f64 - q as f64).abs())
            .sum::<f64>()
            / x.len() as f64
    };
    for (i, (a, b)) in decoded.iter().zip(&source).enumerate() {
        assert!(mean_error(a, b) < 6.0, "frame {i}: {}", mean_error(a, b));
    }
    let info = quanta(&["info", s(&joined), "--json"]);
    ok(&info);
    let value: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(value["packets"], 13, "{value}");
}

#[test]
fn concat_refuses_other_parameters_and_bad_segments() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.y4m");
    write_clip(&clip, 6);
    let a = encode_segment(dir.path(), &clip, "0:3", "60");
    let b = encode_segment(dir.path(), &clip, "3:3", "40");
    let joined = dir.path().join("joined.qnt");
    let o = quanta(&["concat", s(&a), s(&b), "-o", s(&joined)]);
    assert_eq!(o.status.code(), Some(1));
    let message = String::from_utf8_lossy(&o.stderr);
    assert!(message.contains("quality 60 against 40"), "{message}");
    assert!(!joined.exists());
    // A truncated segment.
    let b60 = encode_segment(dir.path(), &clip, "3:3", "60");
    let bytes = std::fs::read(&b60).unwrap();
    let cut = dir.path().join("cut.qnt");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let o = quanta(&["concat", s(&a), s(&b60), s(&cut), "-o", s(&joined)]);
    assert_eq!(o.status.code(), Some(1));
    let message = String::from_utf8_lossy(&o.stderr);
    assert!(message.contains("cut.qnt"), "{message}");
    assert!(!joined.exists());
    let o = quanta(&["concat", s(&a), s(&b60), "-o", s(&joined)]);
    ok(&o);
    // A segment that starts past the end of the input.
    let past = dir.path().join("past.qnt");
    let o = quanta(&["encode", s(&clip), "--segment", "6:2", "-o", s(&past)]);
    assert_eq!(o.status.code(), Some(1));
    let message = String::from_utf8_lossy(&o.stderr);
    assert!(message.contains("holds only 6 frames"), "{message}");
    assert!(!past.exists());
    let o = quanta(&["encode", s(&clip), "--segment", "2:0", "-o", s(&past)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn plan_moves_a_boundary_to_a_near_scene_cut() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.y4m");
    write_clip(&clip, 13);
    let o = quanta(&["plan", s(&clip), "--segment-frames", "5"]);
    ok(&o);
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(plan["frames"], 13);
    assert_eq!(plan["scene_cuts"], serde_json::json!([6]), "{plan}");
    let starts: Vec<u64> = plan["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_u64().unwrap())
        .collect();
    // 6 is within a quarter segment (1 frame) of 5; nothing lies near 10.
    assert_eq!(starts, [0, 6, 10]);
    assert_eq!(plan["segments"][1]["scene_cut"], true);
    assert_eq!(plan["segments"][2]["frames"], 3);
    let o = quanta(&["plan", s(&clip), "--segment-seconds", "0.2"]);
    ok(&o);
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(plan["segment_frames"], 5);
}

/// A stereo 16-bit WAV: two tones, a little noise and a click, `frames` samples long.
fn write_wav(path: &Path, frames: usize) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 32_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..frames {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 2001) as f64 / 1000.0 - 1.0;
        let t = i as f64 / 32_000.0;
        let click = if (i / 1500) % 7 == 3 && i % 1500 < 20 {
            0.5
        } else {
            0.0
        };
        let l = 0.3 * (2.0 * std::f64::consts::PI * 440.0 * t).sin() + 0.02 * noise + click;
        let r = 0.25 * (2.0 * std::f64::consts::PI * 660.0 * t).sin() - 0.02 * noise;
        for v in [l, r] {
            w.write_sample((v * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
                .unwrap();
        }
    }
    w.finalize().unwrap();
}

fn read_wav(path: &Path) -> Vec<f32> {
    let mut r = hound::WavReader::open(path).unwrap();
    match r.spec().sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.unwrap()).collect(),
        hound::SampleFormat::Int => r
            .samples::<i32>()
            .map(|s| s.unwrap() as f32 / 32768.0)
            .collect(),
    }
}

/// Codes the segments of `wav` with `mode`, joins them; returns the segments' decodes
/// (32-bit float for lossy, 16-bit for lossless) and the joined stream's.
fn audio_segments(dir: &Path, wav: &Path, spans: &[&str], mode: &[&str]) -> (Vec<f32>, Vec<f32>) {
    let bits = if mode.contains(&"--lossless") {
        "16"
    } else {
        "32f"
    };
    let mut pieces = Vec::new();
    let mut expected = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        let piece = dir.join(format!("a{i}.qnt"));
        let mut args = vec!["encode", s(wav), "--segment", span, "-o", s(&piece)];
        args.extend(mode);
        ok(&quanta(&args));
        let out = dir.join(format!("a{i}.wav"));
        ok(&quanta(&[
            "decode",
            s(&piece),
            "--bits",
            bits,
            "-o",
            s(&out),
        ]));
        expected.extend(read_wav(&out));
        pieces.push(piece);
    }
    let joined = dir.join("joined.qnt");
    let mut args = vec!["concat"];
    args.extend(pieces.iter().map(|p| s(p)));
    args.extend(["-o", s(&joined)]);
    ok(&quanta(&args));
    let out = dir.join("joined.wav");
    ok(&quanta(&[
        "decode",
        s(&joined),
        "--bits",
        bits,
        "-o",
        s(&out),
    ]));
    (expected, read_wav(&out))
}

#[test]
fn joined_audio_segments_decode_to_the_segments_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("sound.wav");
    write_wav(&wav, 30_000);
    let source = read_wav(&wav);
    // Spans that do not fall on frame edges; the last asks for more than is left.
    let spans = ["0:9000", "9000:9100", "18100:20000"];
    let (expected, joined) = audio_segments(dir.path(), &wav, &spans, &["-q", "70"]);
    assert_eq!(expected.len(), 60_000);
    assert!(
        joined == expected,
        "the joined decode differs from the segments'"
    );
    let error: f64 = joined
        .iter()
        .zip(&source)
        .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
        .sum();
    let signal: f64 = source.iter().map(|&v| (v as f64).powi(2)).sum();
    let snr = 10.0 * (signal / error).log10();
    assert!(snr > 15.0, "SNR {snr} dB");
    // Lossless segments join bit-exact: the joined decode is the source.
    let (expected, joined) = audio_segments(dir.path(), &wav, &spans, &["--lossless"]);
    assert!(expected == source && joined == source);
}

#[test]
fn concat_refuses_an_audio_stream_that_is_not_a_segment() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("sound.wav");
    write_wav(&wav, 8000);
    let seg = dir.path().join("seg.qnt");
    ok(&quanta(&[
        "encode",
        s(&wav),
        "--segment",
        "0:4000",
        "-o",
        s(&seg),
    ]));
    let whole = dir.path().join("whole.qnt");
    ok(&quanta(&["encode", s(&wav), "-o", s(&whole)]));
    let joined = dir.path().join("joined.qnt");
    let o = quanta(&["concat", s(&seg), s(&whole), "-o", s(&joined)]);
    assert_eq!(o.status.code(), Some(1));
    let message = String::from_utf8_lossy(&o.stderr);
    assert!(message.contains("segment-start"), "{message}");
    assert!(!joined.exists());
    let other = dir.path().join("other.qnt");
    ok(&quanta(&[
        "encode",
        s(&wav),
        "--segment",
        "4000:4000",
        "-q",
        "20",
        "-o",
        s(&other),
    ]));
    let o = quanta(&["concat", s(&seg), s(&other), "-o", s(&joined)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!joined.exists());
    let o = quanta(&["encode", s(&wav), "--segment", "8000:10", "-o", s(&other)]);
    assert_eq!(o.status.code(), Some(1));
}
