//! `quanta bench` cut into jobs: `--plan` lists them, `--run-job` runs each one on its own
//! (here in reverse order), `--merge` builds the report, and that report is the direct
//! run's one. Timing fields differ and are left out of the comparison: `elapsed_seconds`
//! and each run's `encode` and `decode` objects (seconds and speed).

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::synthetic_picture;
use quanta::media::image::{encode_picture_file, PictureFormat};
use quanta::signal::PixelLayout;
use serde_json::Value;

fn quanta(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the quanta binary runs");
    assert!(
        o.status.success(),
        "quanta {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The report without its timing fields.
fn untimed(path: &Path) -> Value {
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let object = v.as_object_mut().unwrap();
    assert!(object.remove("elapsed_seconds").is_some());
    for file in v["files"].as_array_mut().unwrap() {
        for run in file["runs"].as_array_mut().unwrap() {
            let run = run.as_object_mut().unwrap();
            assert!(run.remove("encode").is_some() && run.remove("decode").is_some());
        }
    }
    v
}

#[test]
fn merged_jobs_give_the_direct_report() {
    let dir = tempfile::tempdir().unwrap();
    let pictures = dir.path().join("pictures");
    std::fs::create_dir(&pictures).unwrap();
    for (i, (w, h)) in [(40, 32), (56, 24)].into_iter().enumerate() {
        let picture = synthetic_picture(w, h, PixelLayout::Rgb, 5 + i as u64);
        let png = encode_picture_file(&picture, PictureFormat::Png).unwrap();
        std::fs::write(pictures.join(format!("p{i}.png")), png).unwrap();
    }
    let options = ["--quality", "20,50,80", "--threads", "1"];
    let direct = dir.path().join("direct.json");
    let mut args = vec!["bench", s(&pictures), "--json", s(&direct)];
    args.extend(options);
    quanta(&args);

    let plan = dir.path().join("jobs.jsonl");
    let mut args = vec!["bench", s(&pictures), "--plan", s(&plan)];
    args.extend(options);
    quanta(&args);
    let lines = std::fs::read_to_string(&plan).unwrap();
    assert_eq!(lines.lines().count(), 6);
    let mut records = String::new();
    for n in (0..6).rev() {
        let spec = format!("{}:{n}", s(&plan));
        let out = quanta(&["bench", "--run-job", &spec]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        records.push_str(&text);
    }
    // A job line given as itself gives the same measured sizes.
    let first = lines.lines().next().unwrap();
    let again = quanta(&["bench", "--run-job", first]);
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    let last: Value = serde_json::from_str(records.lines().last().unwrap()).unwrap();
    assert_eq!(again["run"]["bytes"], last["run"]["bytes"]);

    let record_file = dir.path().join("records.jsonl");
    std::fs::write(&record_file, &records).unwrap();
    let merged = dir.path().join("merged.json");
    quanta(&["bench", "--merge", s(&record_file), "--json", s(&merged)]);
    let (a, b) = (untimed(&direct), untimed(&merged));
    assert_eq!(a, b);
    assert_eq!(a["files"].as_array().unwrap().len(), 2);
    assert!(!a["bd_rates"].is_null());

    // A record missing: the merge names the job and writes nothing.
    let partial = dir.path().join("partial.jsonl");
    let kept: Vec<&str> = records.lines().skip(1).collect();
    std::fs::write(&partial, kept.join("\n")).unwrap();
    let refused = dir.path().join("refused.json");
    let o = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(["bench", "--merge", s(&partial), "--json", s(&refused)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let message = String::from_utf8_lossy(&o.stderr);
    assert!(message.contains("job 5 of 6 is missing"), "{message}");
    assert!(!refused.exists());
}
