//! The `quanta` command as a user runs it: real binary, real files, exit codes and
//! messages, and no lost or half-written files.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::synthetic_picture;
use quanta::media::image::{encode_picture_file, PictureFormat};
use quanta::signal::PixelLayout;

fn quanta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the quanta binary runs")
}

fn quanta_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the quanta binary runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("quanta finishes");
    writer.join().expect("stdin writer finishes");
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn no_panic(o: &Output) {
    let e = stderr(o);
    assert!(
        !e.contains("panicked") && !e.contains("RUST_BACKTRACE"),
        "panic text: {e}"
    );
}

fn write_png(dir: &Path, name: &str, width: usize, height: usize) -> std::path::PathBuf {
    let picture = synthetic_picture(width, height, PixelLayout::Rgb, 21);
    let path = dir.join(name);
    std::fs::write(
        &path,
        encode_picture_file(&picture, PictureFormat::Png).unwrap(),
    )
    .unwrap();
    path
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("quanta-partial"))
        .collect()
}

#[test]
fn encode_decode_compare_info_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let png = write_png(dir.path(), "in.png", 120, 80);
    let qnt = dir.path().join("in.qnt");
    let out_png = dir.path().join("out.png");
    let o = quanta(&[
        "encode",
        png.to_str().unwrap(),
        "-o",
        qnt.to_str().unwrap(),
        "-q",
        "80",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("bits/pixel"));
    let o = quanta(&[
        "decode",
        qnt.to_str().unwrap(),
        "-o",
        out_png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = quanta(&[
        "compare",
        png.to_str().unwrap(),
        out_png.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["psnr_ycbcr"].as_f64().unwrap() > 30.0, "{json}");
    assert!(json["ssim_y"].as_f64().unwrap() > 0.8, "{json}");
    let o = quanta(&["info", qnt.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["media"], "image");
    assert_eq!(info["image"]["width"], 120);
    assert_eq!(info["complete"], true);
    let o = quanta(&["info", qnt.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("120x80 420"));
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn stdin_to_stdout_pipeline() {
    let picture = synthetic_picture(64, 40, PixelLayout::Rgb, 2);
    let png = encode_picture_file(&picture, PictureFormat::Png).unwrap();
    let encoded = quanta_with_stdin(&["encode", "-", "-o", "-"], &png);
    assert!(encoded.status.success(), "{}", stderr(&encoded));
    assert_eq!(&encoded.stdout[..4], b"QNTA");
    let decoded = quanta_with_stdin(
        &["decode", "-", "-o", "-", "--format", "ppm"],
        &encoded.stdout,
    );
    assert!(decoded.status.success(), "{}", stderr(&decoded));
    assert_eq!(&decoded.stdout[..2], b"P6");
}

#[test]
fn never_overwrites_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let png = write_png(dir.path(), "keep.png", 32, 32);
    let before = std::fs::read(&png).unwrap();
    let o = quanta(&["encode", png.to_str().unwrap(), "-o", png.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("refusing to overwrite"),
        "{}",
        stderr(&o)
    );
    // The same file through another path.
    let other = dir.path().join(".").join("keep.png");
    let o = quanta(&[
        "encode",
        png.to_str().unwrap(),
        "-o",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&png).unwrap(), before);
}

#[test]
fn a_failed_run_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.png");
    std::fs::write(&bad, b"this is not a picture").unwrap();
    let out = dir.path().join("out.qnt");
    let o = quanta(&["encode", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.png"), "{}", stderr(&o));
    no_panic(&o);
    assert!(!out.exists());
    // A stream that is garbage: decode fails and writes nothing.
    let garbage = dir.path().join("g.qnt");
    std::fs::write(&garbage, vec![7u8; 1000]).unwrap();
    let out_png = dir.path().join("g.png");
    let o = quanta(&[
        "decode",
        garbage.to_str().unwrap(),
        "-o",
        out_png.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a quanta stream"), "{}", stderr(&o));
    no_panic(&o);
    assert!(!out_png.exists());
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn bad_options_are_usage_errors() {
    for args in [
        vec!["encode", "x.png", "-o", "y.qnt", "--quality", "200"],
        vec!["encode", "x.png"],
        vec!["encode", "x.png", "-o", "y.qnt", "--chroma", "411"],
        vec!["frobnicate"],
    ] {
        let o = quanta(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        no_panic(&o);
    }
    let o = quanta(&["encode", "missing.png", "-o", "y.qnt"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.png"), "{}", stderr(&o));
    let o = quanta(&[
        "encode",
        "missing.png",
        "-o",
        "y.qnt",
        "--transform",
        "magic",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown transform 'magic'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn damaged_and_truncated_streams_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let png = write_png(dir.path(), "in.png", 160, 64);
    let qnt = dir.path().join("in.qnt");
    let o = quanta(&[
        "encode",
        png.to_str().unwrap(),
        "-o",
        qnt.to_str().unwrap(),
        "--tile",
        "32",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut bytes = std::fs::read(&qnt).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let damaged = dir.path().join("damaged.qnt");
    std::fs::write(&damaged, &bytes).unwrap();
    let out = dir.path().join("damaged.png");
    let o = quanta(&[
        "decode",
        damaged.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
    no_panic(&o);
    assert!(out.exists());
    let truncated = dir.path().join("cut.qnt");
    let full = std::fs::read(&qnt).unwrap();
    std::fs::write(&truncated, &full[..full.len() * 2 / 3]).unwrap();
    let o = quanta(&["info", truncated.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stdout).contains("truncated"));
    let o = quanta(&[
        "decode",
        truncated.to_str().unwrap(),
        "-o",
        dir.path().join("cut.png").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    no_panic(&o);
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let png = write_png(dir.path(), "big.png", 320, 320);
    let qnt = dir.path().join("big.qnt");
    assert!(
        quanta(&["encode", png.to_str().unwrap(), "-o", qnt.to_str().unwrap()])
            .status
            .success()
    );
    // Like `quanta decode big.qnt -o - --format ppm | head -c 100`: 300 kB of output, of
    // which the reader takes 100 bytes before closing the pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_quanta"))
        .args([
            "decode",
            qnt.to_str().unwrap(),
            "-o",
            "-",
            "--format",
            "ppm",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    // A watchdog, not a speed check: the run must end instead of blocking forever.
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("quanta ended after its reader went away")
        .unwrap();
    assert_eq!(&first[..2], b"P6");
    assert_eq!(out.status.code(), Some(141), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// `-o /dev/null` (benchmarking a decoder, say) writes into the device: the atomic rename
/// that protects regular files must not replace the device node with a file.
#[cfg(unix)]
#[test]
fn writing_to_dev_null_leaves_the_device_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let null = Path::new("/dev/null");
    if !std::fs::metadata(null).is_ok_and(|m| m.file_type().is_char_device()) {
        return; // no /dev/null device here to check against
    }
    let dir = tempfile::tempdir().unwrap();
    let png = write_png(dir.path(), "in.png", 40, 24);
    let qnt = dir.path().join("in.qnt");
    let out = quanta(&["encode", png.to_str().unwrap(), "-o", "/dev/null"]);
    no_panic(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = quanta(&["encode", png.to_str().unwrap(), "-o", qnt.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = quanta(&[
        "decode",
        qnt.to_str().unwrap(),
        "-o",
        "/dev/null",
        "--format",
        "png",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = std::fs::metadata(null).unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/null was replaced");
    assert_eq!(meta.len(), 0);
}

#[test]
fn options_of_another_media_kind_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let png = write_png(dir.path(), "a.png", 48, 32);
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let flac = samples.join("music_goin_march_3s.flac");
    let out = dir.path().join("x.qnt");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    for (input, option, kind) in [
        (&flac, vec!["--tile", "256"], "audio"),
        (&flac, vec!["--max-error", "2"], "audio"),
        (&png, vec!["--preset", "fast"], "pictures"),
        (&png, vec!["--bitrate", "100"], "pictures"),
        (&png, vec!["--masking", "0.5"], "pictures"),
    ] {
        let mut args = vec!["encode".to_string(), s(input), "-o".into(), s(&out)];
        args.extend(option.iter().map(|o| o.to_string()));
        let args: Vec<&str> = args.iter().map(|a| a.as_str()).collect();
        let o = quanta(&args);
        assert_eq!(o.status.code(), Some(2), "{option:?}: {}", stderr(&o));
        let message = stderr(&o);
        assert!(
            message.contains(option[0]) && message.contains(&format!("not apply to {kind}")),
            "{message}"
        );
        assert!(!out.exists(), "{option:?} left an output");
    }
    // Options of the input's own kind still work, and decode checks the stream's kind.
    let o = quanta(&["encode", &s(&png), "-o", &s(&out), "--tile", "32"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let back = dir.path().join("back.png");
    let o = quanta(&["decode", &s(&out), "-o", &s(&back), "--bits", "24"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--bits does not apply to pictures"),
        "{}",
        stderr(&o)
    );
    assert!(!back.exists());
}

/// A small gray-gradient Y4M clip (4:2:0, 25 frames/s).
fn write_y4m(dir: &Path, name: &str, frames: usize) -> std::path::PathBuf {
    let (w, h) = (48usize, 32usize);
    let mut bytes = format!("YUV4MPEG2 W{w} H{h} F25:1 Ip A1:1 C420jpeg\n").into_bytes();
    for f in 0..frames {
        bytes.extend_from_slice(b"FRAME\n");
        for y in 0..h {
            bytes.extend((0..w).map(|x| ((x * 5 + y * 3 + f * 7) % 256) as u8));
        }
        bytes.extend_from_slice(&vec![128u8; 2 * (w / 2) * (h / 2)]);
    }
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn video_crf_and_vbv_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let clip = write_y4m(dir.path(), "a.y4m", 4);
    let png = write_png(dir.path(), "a.png", 48, 32);
    let out = dir.path().join("x.qnt");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (clip, png, out) = (s(&clip), s(&png), s(&out));
    for (input, options, says) in [
        (&clip, vec!["--crf", "52"], "--crf"),
        (&clip, vec!["--crf=-1"], "--crf"),
        (&clip, vec!["--crf", "20", "--bitrate", "100"], "--crf"),
        (&clip, vec!["--crf", "20", "-q", "50"], "--crf"),
        (&clip, vec!["--vbv-maxrate", "100"], "--vbv-bufsize"),
        (&clip, vec!["--vbv-bufsize", "100"], "--vbv-maxrate"),
        (
            &clip,
            vec!["--vbv-maxrate", "0", "--vbv-bufsize", "10"],
            "--vbv-maxrate",
        ),
        // 2500 kbit/s at 25 frames/s is 100 kbit per frame: a 99 kbit buffer is too small.
        (
            &clip,
            vec!["--vbv-maxrate", "2500", "--vbv-bufsize", "99"],
            "--vbv-bufsize",
        ),
        (&png, vec!["--crf", "20"], "not apply to pictures"),
    ] {
        let mut args = vec!["encode", input.as_str(), "-o", out.as_str()];
        args.extend(options.iter().copied());
        let o = quanta(&args);
        assert_eq!(o.status.code(), Some(2), "{options:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{options:?}: {}", stderr(&o));
        assert!(!Path::new(&out).exists(), "{options:?} left an output");
    }
    for options in [
        vec!["--crf", "30.5"],
        vec!["--vbv-maxrate", "2500", "--vbv-bufsize", "100"],
        vec!["--crf", "10", "--vbv-maxrate", "100", "--vbv-bufsize", "50"],
    ] {
        let mut args = vec!["encode", clip.as_str(), "-o", out.as_str()];
        args.extend(options.iter().copied());
        let o = quanta(&args);
        assert!(o.status.success(), "{options:?}: {}", stderr(&o));
        std::fs::remove_file(&out).unwrap();
    }
}
