//! `quanta bench --max-error` and `--lossless` through the real binary: quanta's
//! near-lossless coder against JPEG-LS (ffmpeg) and lossless WebP on a small picture, and
//! quanta's lossless audio against FLAC on a short generated WAV. Every run's measured error
//! must stay within its bound, rates must fall as N grows, and the JSON, CSV and plot must
//! be written. The anchors must be installed (`apt-get install -y ffmpeg webp flac`);
//! without them these tests fail under CI and are skipped, saying what to install, elsewhere.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use quanta::bench::anchors::find_program;
use serde_json::Value;

mod common;

fn tools_ready(programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    common::external_tool_ready((!missing.is_empty()).then(|| {
        format!(
            "{} not installed: apt-get install -y ffmpeg webp flac",
            missing.join(", ")
        )
    }))
}

fn quanta(args: &[&str], scratch: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .env("TMPDIR", scratch)
        .stdin(Stdio::null())
        .output()
        .expect("the quanta binary runs")
}

/// The runs of the only file of a report, as (codec, setting, bytes, max error, bound).
fn runs(doc: &Value) -> Vec<(String, u64, u64, u64, u64)> {
    doc["files"][0]["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            let codec = match &r["codec"] {
                Value::String(s) => s.clone(),
                other => other["Anchor"].as_str().unwrap_or("?").to_string(),
            };
            let n = |key: &str| r[key].as_u64().unwrap_or(u64::MAX);
            (codec, n("setting"), n("bytes"), n("max_error"), n("bound"))
        })
        .collect()
}

#[test]
fn near_lossless_pictures_against_jpeg_ls_and_lossless_webp() {
    if !tools_ready(&["ffmpeg", "cwebp", "dwebp"]) {
        return;
    }
    let picture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bench/coffee_crop.png");
    let out = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let (json, csv, plot) = (
        out.path().join("b.json"),
        out.path().join("b.csv"),
        out.path().join("b.png"),
    );
    let output = quanta(
        &[
            "bench",
            picture.to_str().unwrap(),
            "--max-error",
            "0,1,2,4",
            "--anchors",
            "jpegls,webp-lossless",
            "--json",
            json.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--plot",
            plot.to_str().unwrap(),
        ],
        scratch.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("| coffee_crop.png | jpegls | N=2 |"),
        "{stdout}"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["schema"], "quanta-bounded/1");
    let runs = runs(&doc);
    let quanta_runs: Vec<_> = runs.iter().filter(|r| r.0 == "Quanta").collect();
    assert_eq!(
        quanta_runs.iter().map(|r| r.1).collect::<Vec<_>>(),
        [0, 1, 2, 4]
    );
    for run in &runs {
        assert!(run.3 <= run.4, "{run:?} broke its bound");
    }
    assert_eq!(quanta_runs[0].3, 0, "N = 0 must be exact");
    for pair in quanta_runs.windows(2) {
        assert!(pair[1].2 < pair[0].2, "rate must fall as N grows: {pair:?}");
    }
    let jpegls: Vec<u64> = runs
        .iter()
        .filter(|r| r.0 == "JpegLs")
        .map(|r| r.1)
        .collect();
    assert_eq!(jpegls, [0, 1, 2], "JPEG-LS runs the bounds it offers");
    assert!(runs.iter().any(|r| r.0 == "WebpLossless" && r.3 == 0));
    assert_eq!(doc["totals"].as_array().unwrap().len(), runs.len());
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().lines().count(),
        runs.len() + 1
    );
    assert_eq!(&std::fs::read(&plot).unwrap()[1..4], b"PNG");
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
}

#[test]
fn lossless_audio_against_flac() {
    if !tools_ready(&["flac"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&wav, spec).unwrap();
    let mut state = 1u32;
    for i in 0..30_000 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let t = i as f64 / 44100.0;
        let v = 9000.0 * (t * 330.0 * std::f64::consts::TAU).sin() + f64::from(state >> 24);
        writer.write_sample(v as i16).unwrap();
        writer.write_sample((v * 0.5) as i16).unwrap();
    }
    writer.finalize().unwrap();
    let json = dir.path().join("a.json");
    let output = quanta(
        &[
            "bench",
            wav.to_str().unwrap(),
            "--lossless",
            "--anchors",
            "flac",
            "--json",
            json.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["rate_unit"], "bits/sample");
    let runs = runs(&doc);
    let settings: Vec<(&str, u64, u64)> = runs.iter().map(|r| (r.0.as_str(), r.1, r.3)).collect();
    assert_eq!(
        settings,
        [("Quanta", 0, 0), ("Flac", 5, 0), ("Flac", 8, 0)],
        "every run decodes exactly"
    );
    // Within 20 % of FLAC on a tone with noise: a broken coder is far off.
    let (q, f) = (runs[0].2 as f64, runs[2].2 as f64);
    assert!(q < 1.2 * f && q > 0.8 * f, "quanta {q} bytes, flac -8 {f}");
    let refused = quanta(
        &[
            "bench",
            wav.to_str().unwrap(),
            "--max-error",
            "2",
            "--anchors",
            "flac",
        ],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("lossless only"));
}
