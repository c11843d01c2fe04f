//! The bench's picture metrics against scikit-image on real pictures: crops of photos
//! decoded by quanta and by libjpeg-turbo, measured by `tools/bench_crosscheck.py`
//! (tests/fixtures/bench/metrics_crosscheck.json). PSNRs must agree within 0.01 dB and
//! SSIM within 0.001.

use std::path::{Path, PathBuf};

use quanta::bench::metric::{measure, Metric, Quality};
use quanta::media::image::read_picture;
use quanta::Limits;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bench")
}

fn close(what: &str, ours: Option<f64>, theirs: &Value, tolerance: f64) {
    match (ours, theirs.as_f64()) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!(
            (a - b).abs() <= tolerance,
            "{what}: quanta {a}, scikit-image {b} (tolerance {tolerance})"
        ),
        (a, _) => panic!("{what}: quanta {a:?}, scikit-image {theirs}"),
    }
}

#[test]
fn psnr_and_ssim_agree_with_scikit_image() {
    let text = std::fs::read_to_string(fixtures().join("metrics_crosscheck.json"))
        .expect("metrics_crosscheck.json is committed beside the crops");
    let doc: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let entries = doc["entries"].as_array().expect("entries");
    assert!(entries.len() >= 4, "expected several pictures");
    let mut codecs = std::collections::BTreeSet::new();
    for e in entries {
        let name = |key: &str| e[key].as_str().expect("file names are strings").to_string();
        let reference = read_picture(&fixtures().join(name("reference")), &Limits::default())
            .expect("the crop reads");
        let decoded = read_picture(&fixtures().join(name("decoded")), &Limits::default())
            .expect("the decoded picture reads");
        let quality = measure(&reference, &decoded, false).expect("the pictures compare");
        let Quality::Picture { comparison: c, .. } = &quality else {
            panic!("a picture measurement: {quality:?}");
        };
        let what = |m: &str| format!("{} {m}", name("decoded"));
        close(
            &what("psnr-y"),
            Metric::PsnrY.value(&quality),
            &e["psnr_y"],
            0.01,
        );
        close(&what("psnr-cb"), c.psnr_cb, &e["psnr_cb"], 0.01);
        close(&what("psnr-cr"), c.psnr_cr, &e["psnr_cr"], 0.01);
        close(
            &what("psnr-ycbcr"),
            Metric::PsnrYcbcr.value(&quality),
            &e["psnr_ycbcr"],
            0.01,
        );
        close(&what("psnr-rgb"), c.psnr_rgb, &e["psnr_rgb"], 0.01);
        close(
            &what("ssim-y"),
            Metric::SsimY.value(&quality),
            &e["ssim_y"],
            0.001,
        );
        codecs.insert(name("codec"));
    }
    assert!(
        codecs.contains("quanta") && codecs.contains("jpeg"),
        "{codecs:?}"
    );
}
