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
