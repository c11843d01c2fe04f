//! `quanta bench` on audio end to end: the built binary benchmarks a one-second generated WAV
//! (48 kHz stereo, a tone and noise) against lame's MP3 and must report a BD-rate in SNR and
//! segmental SNR, with rates in kbit/s. It needs lame (`apt-get install -y lame`): without
//! it the test fails under CI (the `CI` variable set) and elsewhere prints what to install
//! and passes without running (see `common::external_tool_ready`).

use std::process::Command;

use quanta::bench::anchors::{check_available, Anchor};
use serde_json::Value;

mod common;

const INSTALL: &str = "install the MP3 reference encoder: apt-get install -y lame";

/// One second of a 440 Hz tone (left) and 660 Hz tone (right) with a little noise.
fn write_test_wav(path: &std::path::Path) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("a WAV file");
    let mut state = 1u32;
    for t in 0..48000 {
        for freq in [440.0f64, 660.0] {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let noise = ((state >> 16) as f64 / 65536.0 - 0.5) * 0.05;
            let x = 0.4 * (t as f64 / 48000.0 * freq * std::f64::consts::TAU).sin() + noise;
            writer
                .write_sample((x * 32767.0) as i16)
                .expect("a sample written");
        }
    }
    writer.finalize().expect("a finished WAV file");
}

#[test]
fn audio_bench_reports_bd_rates_against_mp3() {
    let missing = check_available(Anchor::Mp3)
        .err()
        .map(|e| format!("{e}; {INSTALL}"));
    if !common::external_tool_ready(missing) {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let wav = dir.path().join("tone.wav");
    write_test_wav(&wav);
    let json_path = dir.path().join("bench.json");
    let output = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .arg("bench")
        .arg(&wav)
        .args([
            "--anchors",
            "mp3",
            "--bitrate",
            "32,48,64,96,128,192,256",
            "--json",
        ])
        .arg(&json_path)
        .output()
        .expect("the quanta binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "quanta bench failed: {stderr}");
    let text = std::fs::read_to_string(&json_path).expect("the JSON report");
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["schema"], "quanta-bench/2");
    assert_eq!(json["media"], "audio");
    let source = &json["files"][0]["source"];
    assert_eq!(source["kind"], "audio");
    assert_eq!(
        (&source["sample_rate"], &source["channels"]),
        (&48000.into(), &2.into())
    );
    let runs = json["files"][0]["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 14);
    for run in runs {
        assert_eq!(run["rate"]["unit"], "kbit/s", "{run}");
        assert_eq!(run["setting_name"], "bitrate", "{run}");
        assert_eq!(run["quality"]["kind"], "audio", "{run}");
        assert!(run["quality"].get("psnr_ycbcr").is_none(), "{run}");
        let kbps = run["rate"]["value"].as_f64().expect("a rate");
        assert!(kbps > 0.0 && kbps < 400.0, "{run}");
        let snr = run["quality"]["snr"].as_f64();
        assert!(snr.is_some_and(|v| v > 5.0), "{run}");
    }
    let bd = json["bd_rates"].as_array().expect("BD-rates");
    assert_eq!(bd.len(), 2);
    for entry in bd {
        assert_eq!(entry["anchor"], "mp3");
        assert!(entry["bd_rate"].as_f64().is_some(), "no BD-rate: {entry}");
    }
}
