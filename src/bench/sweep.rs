//! The sweep itself: every file coded by every codec at every setting, files spread over a
//! bounded pool of worker threads.
//!
//! Input: a checked [`BenchConfig`] and a progress callback. Output: a [`BenchReport`] whose
//! files are in input order and whose runs are in codec and sweep order, whatever the number
//! of workers. quanta runs in memory through [`encode_picture`] and [`decode_picture`] with one
//! thread each; anchors run through [`AnchorInputs`] in a per-file folder inside one scratch
//! folder ([`tempfile::TempDir`]) that is removed when the bench returns or unwinds. The first
//! failing file stops the other workers after their current run, and its error, naming the
//! file, is returned; a worker panic becomes an [`Error::Pipeline`].

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::anchors::{check_available, AnchorInputs};
use super::audio::{AudioBench, AudioSignal};
use super::bd::{mean_curves, summarize};
use super::lists::collect_files;
use super::metric::{measure, Metric};
use super::video::{VideoBench, VideoSource};
use super::{BenchConfig, BenchReport, Codec, FileResult, Progress, RunRecord};
use crate::codec::image::{decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig};
use crate::container::MediaKind;
use crate::error::{Error, Limits, Result};
use crate::media::image::read_picture;
use crate::metrics::bits_per_pixel;
use crate::signal::Picture;

/// Runs a whole bench. `progress` is called from the worker threads.
pub fn run_bench(
    config: &BenchConfig,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<BenchReport> {
    let start = Instant::now();
    config.validate()?;
    for &anchor in &config.anchors {
        check_available(anchor)?;
    }
    let files = collect_files(&config.inputs, config.media)?;
    let runs_per_file: usize = config
        .codecs()
        .into_iter()
        .map(|c| config.settings(c).len())
        .sum();
    progress(&Progress::Started {
        files: files.len(),
        runs: files.len() * runs_per_file,
    });
    let scratch = tempfile::Builder::new()
        .prefix("quanta-bench-")
        .tempdir()
        .map_err(|e| Error::io("cannot create a scratch folder for the bench", e))?;
    let workers = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, files.len().max(1));

    let next = AtomicUsize::new(0);
    let cancelled = AtomicBool::new(false);
    let results: Mutex<Vec<Option<FileResult>>> = Mutex::new(vec![None; files.len()]);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let fail = |e: Error| {
        cancelled.store(true, Ordering::SeqCst);
        if let Ok(mut slot) = first_error.lock() {
            slot.get_or_insert(e);
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                std::thread::Builder::new()
                    .name(format!("quanta-bench-{w}"))
                    .spawn_scoped(scope, || loop {
                        if cancelled.load(Ordering::SeqCst) {
                            break;
                        }
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(path) = files.get(index) else {
                            break;
                        };
                        let dir = scratch.path().join(format!("file{index}"));
                        match bench_file(config, path, &dir, &cancelled, progress) {
                            Ok(Some(result)) => match results.lock() {
                                Ok(mut slots) => slots[index] = Some(result),
                                Err(_) => fail(Error::Pipeline("bench results lost".into())),
                            },
                            Ok(None) => break,
                            Err(e) => fail(e),
                        }
                    })
            })
            .collect();
        for handle in handles {
            match handle {
                Ok(h) => {
                    if h.join().is_err() {
                        fail(Error::Pipeline("a bench worker panicked".into()));
                    }
                }
                Err(e) => fail(Error::io("cannot start a bench worker thread", e)),
            }
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let results = results
        .into_inner()
        .map_err(|_| Error::Pipeline("bench results lost".into()))?;
    let files: Vec<FileResult> = results.into_iter().flatten().collect();
    let bd = summarize(&files, config);
    let curves = mean_curves(&files, config);
    drop(scratch);
    Ok(BenchReport {
        config: config.clone(),
        files,
        bd,
        curves,
        elapsed_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Codes one file with every codec; `None` when the bench was cancelled meanwhile.
fn bench_file(
    config: &BenchConfig,
    path: &Path,
    dir: &Path,
    cancelled: &AtomicBool,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Option<FileResult>> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    match config.media {
        MediaKind::Audio => return bench_audio_file(config, path, dir, cancelled, progress),
        MediaKind::Video => return bench_video_file(config, path, dir, cancelled, progress),
        MediaKind::Image => {}
    }
    let in_file = |e: Error| with_file(path, e);
    let picture = read_picture(path, &Limits::default())?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create", dir, e))?;
    let mut inputs = AnchorInputs::new(dir, &picture);
    let with_ssimulacra2 = config.metrics.contains(&Metric::Ssimulacra2);
    let mut runs = Vec::new();
    for codec in config.codecs() {
        for setting in config.settings(codec) {
            if cancelled.load(Ordering::SeqCst) {
                return Ok(None);
            }
            let coded = match codec {
                Codec::Quanta => run_quanta(&picture, setting),
                Codec::Anchor(anchor) => inputs.run(anchor, setting).map(|r| Coded {
                    bytes: r.bytes,
                    decoded: r.decoded,
                    encode_seconds: r.encode_seconds,
                    decode_seconds: r.decode_seconds,
                }),
            }
            .map_err(in_file)?;
            let quality = measure(&picture, &coded.decoded, with_ssimulacra2).map_err(in_file)?;
            let megapixels = picture.pixels() as f64 / 1e6;
            runs.push(RunRecord {
                codec,
                setting,
                bytes: coded.bytes,
                bpp: bits_per_pixel(coded.bytes, picture.width as u32, picture.height as u32)?,
                quality,
                encode_seconds: coded.encode_seconds,
                decode_seconds: coded.decode_seconds,
                encode_mpps: speed(megapixels, coded.encode_seconds),
                decode_mpps: speed(megapixels, coded.decode_seconds),
            });
            progress(&Progress::RunDone {
                file: name.clone(),
                codec,
                setting,
            });
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    progress(&Progress::FileDone { file: name.clone() });
    Ok(Some(FileResult {
        path: path.to_path_buf(),
        name,
        width: picture.width,
        height: picture.height,
        runs,
    }))
}

/// Codes one audio file with every codec; `None` when the bench was cancelled meanwhile.
fn bench_audio_file(
    config: &BenchConfig,
    path: &Path,
    dir: &Path,
    cancelled: &AtomicBool,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Option<FileResult>> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let in_file = |e: Error| with_file(path, e);
    let source = AudioSignal::read(path).map_err(in_file)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create", dir, e))?;
    let mut bench = AudioBench::new(&source, dir);
    let mut runs = Vec::new();
    for codec in config.codecs() {
        for setting in config.settings(codec) {
            if cancelled.load(Ordering::SeqCst) {
                return Ok(None);
            }
            runs.push(bench.run(codec, setting).map_err(in_file)?);
            progress(&Progress::RunDone {
                file: name.clone(),
                codec,
                setting,
            });
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    progress(&Progress::FileDone { file: name.clone() });
    Ok(Some(FileResult {
        path: path.to_path_buf(),
        name,
        width: source.rate as usize,
        height: source.channels,
        runs,
    }))
}

/// Codes one Y4M clip with every codec; `None` when the bench was cancelled meanwhile.
fn bench_video_file(
    config: &BenchConfig,
    path: &Path,
    dir: &Path,
    cancelled: &AtomicBool,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Option<FileResult>> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let in_file = |e: Error| with_file(path, e);
    let source = VideoSource::read(path).map_err(in_file)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create", dir, e))?;
    let mut bench = VideoBench::new(&source, dir);
    let mut runs = Vec::new();
    for codec in config.codecs() {
        for setting in config.settings(codec) {
            if cancelled.load(Ordering::SeqCst) {
                return Ok(None);
            }
            runs.push(bench.run(codec, setting).map_err(in_file)?);
            progress(&Progress::RunDone {
                file: name.clone(),
                codec,
                setting,
            });
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    progress(&Progress::FileDone { file: name.clone() });
    Ok(Some(FileResult {
        path: path.to_path_buf(),
        name,
        width: source.header.width as usize,
        height: source.header.height as usize,
        runs,
    }))
}

/// Puts the file's name in front of an error's message (once).
pub(crate) fn with_file(path: &Path, e: Error) -> Error {
    let name = path.display();
    match e {
        Error::Media(m) => Error::Media(format!("{name}: {m}")),
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("{name}: {m}")),
        Error::Unsupported(m) => Error::Unsupported(format!("{name}: {m}")),
        Error::InvalidStream(m) => Error::InvalidStream(format!("{name}: {m}")),
        other => Error::Media(format!("{name}: {other}")),
    }
}

/// Megapixels per second; infinite for a time too short to measure.
pub(crate) fn speed(megapixels: f64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        megapixels / seconds
    } else {
        f64::INFINITY
    }
}

/// One coded and decoded picture.
pub(crate) struct Coded {
    pub bytes: u64,
    pub decoded: Picture,
    pub encode_seconds: f64,
    pub decode_seconds: f64,
}

/// Encodes and decodes with quanta's defaults in memory, one thread each.
fn run_quanta(picture: &Picture, setting: f64) -> Result<Coded> {
    let config = ImageEncoderConfig {
        quality: setting.round().clamp(0.0, 100.0) as u8,
        ..ImageEncoderConfig::default()
    };
    run_quanta_with(picture, &config)
}

/// Encodes and decodes with `config` in memory, one thread each (`config.threads` is
/// ignored).
pub(crate) fn run_quanta_with(picture: &Picture, config: &ImageEncoderConfig) -> Result<Coded> {
    let config = ImageEncoderConfig {
        threads: 1,
        ..config.clone()
    };
    let mut stream = Vec::new();
    let start = Instant::now();
    encode_picture(picture, &config, &mut stream)?;
    let encode_seconds = start.elapsed().as_secs_f64();
    let options = ImageDecodeOptions {
        threads: 1,
        ..ImageDecodeOptions::default()
    };
    let start = Instant::now();
    let decoded = decode_picture(stream.as_slice(), &options)?;
    let decode_seconds = start.elapsed().as_secs_f64();
    if !decoded.damage.is_empty() || !decoded.complete {
        return Err(Error::InvalidStream(format!(
            "quanta could not decode its own stream at quality {}: {}",
            config.quality,
            decoded.damage.join("; ")
        )));
    }
    Ok(Coded {
        bytes: stream.len() as u64,
        decoded: decoded.picture,
        encode_seconds,
        decode_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::image::{encode_picture_file, PictureFormat};
    use crate::signal::PixelLayout;

    fn write_test_picture(dir: &Path, name: &str, seed: usize) {
        let (w, h) = (48, 32);
        let data: Vec<u8> = (0..w * h * 3)
            .map(|i| {
                let (x, y) = ((i / 3) % w, (i / 3) / w);
                ((x * 5 + y * 3 + (i % 3) * 40 + seed * 17 + (x * y) % 7) % 256) as u8
            })
            .collect();
        let picture = Picture::new(w, h, PixelLayout::Rgb, data).unwrap();
        let png = encode_picture_file(&picture, PictureFormat::Png).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    #[test]
    fn quanta_only_bench_is_ordered_and_independent_of_workers() {
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in ["b.png", "a.png", "c.png"].iter().enumerate() {
            write_test_picture(dir.path(), name, i);
        }
        let config = BenchConfig {
            inputs: vec![dir.path().to_path_buf()],
            qualities: vec![20, 50, 90],
            threads: 1,
            ..BenchConfig::default()
        };
        let events = Mutex::new(Vec::new());
        let report = run_bench(&config, &|p| events.lock().unwrap().push(p.clone())).unwrap();
        let names: Vec<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a.png", "b.png", "c.png"]);
        for file in &report.files {
            assert_eq!(file.runs.len(), 3);
            let bpp: Vec<f64> = file.runs.iter().map(|r| r.bpp).collect();
            assert!(bpp[0] < bpp[1] && bpp[1] < bpp[2], "{bpp:?}");
            // A time is only measured, but a speed must be the picture's megapixels (48×32:
            // 0.001536) over that time, not pixels or another file's size.
            for r in &file.runs {
                let megapixels = r.encode_mpps * r.encode_seconds;
                assert!((megapixels - 0.001536).abs() < 1e-12, "{megapixels}");
            }
        }
        let events = events.into_inner().unwrap();
        assert_eq!(events[0], Progress::Started { files: 3, runs: 9 });
        assert_eq!(events.len(), 1 + 9 + 3);
        let parallel = run_bench(
            &BenchConfig {
                threads: 3,
                ..config.clone()
            },
            &|_| {},
        )
        .unwrap();
        for (a, b) in report.files.iter().zip(&parallel.files) {
            let sizes = |f: &FileResult| f.runs.iter().map(|r| r.bytes).collect::<Vec<_>>();
            assert_eq!(sizes(a), sizes(b));
        }
    }

    #[test]
    fn a_bad_file_fails_the_bench_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        write_test_picture(dir.path(), "good.png", 0);
        std::fs::write(dir.path().join("broken.png"), b"not a png").unwrap();
        let config = BenchConfig {
            inputs: vec![dir.path().to_path_buf()],
            qualities: vec![50],
            threads: 2,
            ..BenchConfig::default()
        };
        let err = run_bench(&config, &|_| {}).unwrap_err().to_string();
        assert!(err.contains("broken.png"), "{err}");
    }
}
