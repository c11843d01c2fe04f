//! `quanta study` and `quanta transforms` through the real binary on two tiny pictures:
//! every transform under every quantizer reaches the JSON, and the plot is written.

mod common;

use std::process::{Command, Output, Stdio};

use common::synthetic_picture;
use quanta::media::image::{encode_picture_file, PictureFormat};
use quanta::signal::PixelLayout;
use quanta::transform::TransformId;

fn quanta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the quanta binary runs")
}

fn two_pictures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, seed) in [("a.png", 3), ("b.png", 8)] {
        let picture = synthetic_picture(64, 48, PixelLayout::Rgb, seed);
        let png = encode_picture_file(&picture, PictureFormat::Png).unwrap();
        std::fs::write(dir.path().join(name), png).unwrap();
    }
    dir
}

#[test]
fn study_covers_every_transform_and_quantizer() {
    let dir = two_pictures();
    let json = dir.path().join("out").join("study.json");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let plot = dir.path().join("out").join("pareto.png");
    let out = quanta(&[
        "study",
        dir.path().to_str().unwrap(),
        "--qualities",
        "30,70",
        "--threads",
        "2",
        "--json",
        json.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
        "--max-error",
        "1,4",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["schema"], "quanta-study/1");
    let combinations = doc["combinations"].as_array().unwrap();
    assert_eq!(combinations.len(), 9 * 4);
    for id in TransformId::ALL {
        for q in ["uniform", "deadzone", "perceptual", "rdo"] {
            let found = combinations
                .iter()
                .find(|c| c["transform"] == id.name() && c["quantizer"] == q);
            let c = found.unwrap_or_else(|| panic!("{} {q} missing", id.name()));
            assert_eq!(c["bd_rates"].as_array().unwrap().len(), 2);
        }
    }
    let reference = &combinations[3];
    assert_eq!(reference["transform"], "dct");
    assert_eq!(reference["quantizer"], "rdo");
    assert_eq!(reference["bd_rates"][0]["mean"].as_f64(), Some(0.0));
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["results"].as_array().unwrap().len(), 36);
    assert!(std::fs::read(&plot).unwrap().starts_with(b"\x89PNG"));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("| mrdct | perceptual |"), "{table}");
    // The error-bounded coder ran at each N and kept its bound; every lossy run carries
    // its measured largest error, and at quality 30 that is far above the bound of N = 4.
    let bounded = doc["bounded"]["files"].as_array().unwrap();
    assert_eq!(bounded.len(), 2);
    for file in bounded {
        let runs = file["runs"].as_array().unwrap();
        let got: Vec<(u64, u64)> = runs
            .iter()
            .map(|r| {
                (
                    r["setting"].as_u64().unwrap(),
                    r["max_error"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got.len(), 2);
        assert!(
            got[0].0 == 1 && got[0].1 <= 1 && got[1].0 == 4 && got[1].1 <= 4,
            "{got:?}"
        );
    }
    let lossy = &files[0]["results"][3]["runs"][0];
    assert_eq!(lossy["quality"].as_f64(), Some(30.0));
    assert!(lossy["max_error"].as_u64().unwrap() > 4, "{lossy}");
    assert!(table.contains("| error-bounded | N=4 |"), "{table}");
}

#[test]
fn transforms_table_and_json() {
    let out = quanta(&["transforms", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "quanta-transforms/1");
    assert_eq!(
        doc["members"].as_array().unwrap().len(),
        TransformId::ALL.len()
    );
    let dir = two_pictures();
    let out = quanta(&[
        "transforms",
        "--images",
        dir.path().to_str().unwrap(),
        "--qualities",
        "30,70",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        table.contains("BD SSIM-Y") && table.contains("| wht |"),
        "{table}"
    );
    let bad = quanta(&["study", dir.path().to_str().unwrap(), "--qualities", "50"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("at least 2"));
}
