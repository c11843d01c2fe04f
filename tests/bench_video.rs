//! `quanta bench` on video end to end: the built binary benchmarks a tiny generated Y4M clip
//! (48×32, 6 frames of a moving gradient) against ffmpeg's MPEG-2 and must report a BD-rate
//! against mpeg2 on both metrics, with rates in kbit/s. ffmpeg must be installed
//! in CI (`apt-get install -y ffmpeg`); elsewhere the test is skipped when it is missing.

use std::process::Command;

use quanta::bench::anchors::{check_available, Anchor};
use quanta::media::y4m::{ChromaFormat, Y4mHeader, Y4mWriter, YuvFrame};
use serde_json::Value;

mod common;

const INSTALL: &str = "install ffmpeg for the MPEG-2 anchor: apt-get install -y ffmpeg";

/// Six 48×32 4:2:0 frames at 25 frames/s: a diagonal luma gradient moving right and down,
/// tinted chroma.
fn write_tiny_y4m(path: &std::path::Path) {
    let (width, height) = (48usize, 32usize);
    let header = Y4mHeader::new(48, 32, ChromaFormat::Yuv420Jpeg, (25, 1));
    let mut writer = Y4mWriter::new(Vec::new(), header).expect("a Y4M writer");
    for t in 0..6usize {
        let mut frame = YuvFrame::filled(width, height, ChromaFormat::Yuv420Jpeg, 128);
        for (i, v) in frame.planes[0].data.iter_mut().enumerate() {
            let (x, y) = (i % width + 2 * t, i / width + t);
            *v = (16 + 3 * x + 2 * y).min(235) as u8;
        }
        for (i, v) in frame.planes[1].data.iter_mut().enumerate() {
            *v = (100 + (i % (width / 2)) * 2 + t) as u8;
        }
        writer.write_frame(&frame).expect("a frame written");
    }
    let bytes = writer.finish().expect("a finished clip");
    std::fs::write(path, bytes).expect("the clip written");
}

#[test]
fn video_bench_reports_mpeg2() {
    let missing = check_available(Anchor::Mpeg2)
        .err()
        .map(|e| format!("{e}; {INSTALL}"));
    if !common::external_tool_ready(missing) {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let clip = dir.path().join("tiny.y4m");
    write_tiny_y4m(&clip);
    let json_path = dir.path().join("out.json");
    let output = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .arg("bench")
        .arg(&clip)
        .args(["--anchors", "mpeg2", "--json"])
        .arg(&json_path)
        .output()
        .expect("the quanta binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "quanta bench failed: {stderr}");
    let text = std::fs::read_to_string(&json_path).expect("the JSON report");
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["schema"], "quanta-bench/2");
    assert_eq!(json["media"], "video");
    assert_eq!(json["rate_unit"], "kbit/s");
    let source = &json["files"][0]["source"];
    assert_eq!(source["kind"], "video");
    assert_eq!(
        (&source["width"], &source["frames"]),
        (&48.into(), &6.into())
    );
    let runs = json["files"][0]["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 10, "5 quanta qualities and 5 MPEG-2 scales");
    for run in runs {
        assert_eq!(run["rate"]["unit"], "kbit/s", "{run}");
        assert_eq!(run["encode"]["speed"]["unit"], "frames/s", "{run}");
        assert_eq!(run["quality"]["kind"], "video", "{run}");
        // 8 × bytes / 0.24 s / 1000: the rate is the coded size over the clip's duration.
        let kbps = run["rate"]["value"].as_f64().expect("a rate");
        let bytes = run["bytes"].as_f64().expect("a size");
        assert!((kbps - bytes / 30.0).abs() < 1e-9, "{run}");
        let psnr = run["quality"]["psnr_yuv"].as_f64().expect("a PSNR");
        assert!(psnr > 25.0, "{run}");
    }
    let bd = json["bd_rates"].as_array().expect("BD-rates");
    assert_eq!(bd.len(), 2, "psnr-yuv and ssim-y against mpeg2");
    for entry in bd {
        assert_eq!(entry["anchor"], "mpeg2");
        // Both curves have five points over overlapping qualities, so a BD-rate must come
        // out; measured +16.2 % (PSNR-YUV) and −4.7 % (SSIM-Y) with ffmpeg 5.1.
        let value = entry["bd_rate"]
            .as_f64()
            .unwrap_or_else(|| panic!("no BD-rate against mpeg2: {}", entry["reason"]));
        assert!(
            value.is_finite() && value.abs() < 60.0,
            "implausible BD-rate against mpeg2: {entry}"
        );
    }
}
