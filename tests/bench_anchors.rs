//! `quanta bench` end to end with real reference encoders: the built binary benchmarks a small
//! picture against cjpeg and cwebp and must report BD-rates against both, write its CSV,
//! JSON and plot, and leave no scratch files behind. The encoders must be installed
//! (`apt-get install -y libjpeg-turbo-progs webp`); without them this test fails
//! under CI and is skipped, saying what to install, elsewhere.

use std::path::Path;
use std::process::Command;

use quanta::bench::anchors::{check_available, Anchor};
use serde_json::Value;

mod common;

const INSTALL: &str = "install the reference encoders: apt-get install -y libjpeg-turbo-progs webp";

#[test]
fn bench_reports_bd_rates_against_jpeg_and_webp() {
    for anchor in [Anchor::Jpeg, Anchor::Webp] {
        let missing = check_available(anchor)
            .err()
            .map(|e| format!("{e}; {INSTALL}"));
        if !common::external_tool_ready(missing) {
            return;
        }
    }
    let picture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bench/coffee_crop.png");
    let out = tempfile::tempdir().expect("a temporary folder");
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let json_path = out.path().join("bench.json");
    let csv_path = out.path().join("bench.csv");
    let plot_path = out.path().join("rd.svg");
    let output = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .arg("bench")
        .arg(&picture)
        .args(["--anchors", "jpeg,webp", "--threads", "2"])
        .arg("--json")
        .arg(&json_path)
        .arg("--csv")
        .arg(&csv_path)
        .arg("--plot")
        .arg(&plot_path)
        .env("TMPDIR", scratch.path())
        .output()
        .expect("the quanta binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("not installed") {
        panic!("{stderr}; {INSTALL}");
    }
    assert!(output.status.success(), "quanta bench failed: {stderr}");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("| coffee_crop.png | quanta |"), "{stdout}");
    assert!(stdout.contains("BD-rate of quanta"), "{stdout}");

    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(&json_path).expect("the JSON report is written"),
    )
    .expect("the report is JSON");
    assert_eq!(doc["schema"], "quanta-bench/2");
    assert_eq!(doc["rate_unit"], "bpp");
    let runs = doc["files"][0]["runs"].as_array().expect("runs");
    assert_eq!(
        runs.len(),
        30,
        "10 settings for each of quanta, jpeg and webp"
    );
    for run in runs {
        assert_eq!(run["rate"]["unit"], "bpp", "{run}");
        assert_eq!(run["encode"]["speed"]["unit"], "MP/s", "{run}");
        assert_eq!(run["quality"]["kind"], "picture", "{run}");
        // The crop is 8 bits per sample RGB: a lossy codec must code it in less.
        let bpp = run["rate"]["value"].as_f64().expect("a rate");
        assert!(bpp > 0.0 && bpp < 24.0, "{run}");
    }
    for anchor in ["jpeg", "webp"] {
        for metric in ["psnr-ycbcr", "ssim-y"] {
            let entry = doc["bd_rates"]
                .as_array()
                .expect("bd_rates")
                .iter()
                .find(|e| e["anchor"] == anchor && e["metric"] == metric)
                .unwrap_or_else(|| panic!("no BD-rate against {anchor} for {metric}"));
            let value = entry["bd_rate"].as_f64().unwrap_or_else(|| {
                panic!("BD-rate against {anchor} for {metric}: {}", entry["reason"])
            });
            // Measured on this crop with the block coder (libjpeg-turbo 2.1.5, libwebp
            // 1.2.4): jpeg −45.0 % (PSNR) and −42.1 % (SSIM), webp −11.7 % and −2.8 %.
            // quanta must keep beating JPEG and stay near WebP; a change to either codec's
            // rate or to the BD computation that moves a figure by more than about 12 points
            // fails here.
            let plausible = match anchor {
                "jpeg" => -57.0..=-31.0,
                _ => -24.0..=8.0,
            };
            assert!(
                plausible.contains(&value),
                "{anchor} {metric}: BD-rate {value:+.1} % outside {plausible:?}"
            );
            let mean = doc["bd_means"]
                .as_array()
                .expect("bd_means")
                .iter()
                .find(|m| m["anchor"] == anchor && m["metric"] == metric)
                .expect("a mean per anchor and metric");
            assert_eq!(mean["mean"].as_f64(), Some(value));
            assert_eq!(mean["files_used"], 1);
        }
    }

    let csv = std::fs::read_to_string(&csv_path).expect("the CSV is written");
    assert_eq!(csv.lines().count(), 31);
    let svg = std::fs::read_to_string(&plot_path).expect("the plot is written");
    assert!(svg.contains("bits per pixel") && svg.contains("webp"));
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("the scratch folder lists")
        .collect();
    assert!(left.is_empty(), "scratch files left behind: {left:?}");
}
