//! The sweep itself: every file coded by every codec at every setting, files spread over the
//! bench's worker pool.
//!
//! Input: a checked [`BenchConfig`] and a progress callback. Output: a [`BenchReport`] whose
//! files are in input order and whose runs are in codec and sweep order, whatever the number
//! of workers. Every media kind goes through one path: a [`MediaBench`] (pictures:
//! [`PictureBench`], audio: [`AudioBench`], video: [`VideoBench`]) is prepared per file in a
//! per-file folder inside one scratch folder ([`tempfile::TempDir`], removed when the bench
//! returns or unwinds), then runs quanta and each anchor at each setting. Files are spread
//! over [`run_pool`]; the first failing file stops the other workers after their current run,
//! and its error, naming the file, is returned.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::anchors::{check_available, Anchor};
use super::audio::AudioBench;
use super::bd::{mean_curves, summarize};
use super::lists::collect_files;
use super::picture::PictureBench;
use super::pool::run_pool;
use super::record::{RunRecord, SourceInfo};
use super::video::VideoBench;
use super::{BenchConfig, BenchReport, Codec, FileResult, Progress};
use crate::container::MediaKind;
use crate::error::{Error, Result};

/// One media kind's side of the bench: read a source file once, then code it with quanta or
/// an anchor at one setting, giving a measured record.
pub trait MediaBench: Sized {
    /// Reads the source at `path`; scratch files go in `dir`, which exists.
    fn prepare(path: &Path, dir: &Path, config: &BenchConfig) -> Result<Self>;
    /// What the source holds, for the report.
    fn source(&self) -> SourceInfo;
    /// quanta at `setting`, in memory, one thread each way.
    fn run_quanta(&mut self, setting: f64) -> Result<RunRecord>;
    /// `anchor` at `setting`, through its installed programs.
    fn run_anchor(&mut self, anchor: Anchor, setting: f64) -> Result<RunRecord>;
}

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
    let results = run_pool(
        &files,
        config.threads,
        "quanta-bench",
        |index, path, cancelled| {
            let dir = scratch.path().join(format!("file{index}"));
            let result = match config.media {
                MediaKind::Image => {
                    bench_file::<PictureBench>(config, path, &dir, cancelled, progress)
                }
                MediaKind::Audio => {
                    bench_file::<AudioBench>(config, path, &dir, cancelled, progress)
                }
                MediaKind::Video => {
                    bench_file::<VideoBench>(config, path, &dir, cancelled, progress)
                }
            };
            result.map_err(|e| with_file(path, e))
        },
    )?;
    let bd = summarize(&results, config);
    let curves = mean_curves(&results, config);
    drop(scratch);
    Ok(BenchReport {
        config: config.clone(),
        files: results,
        bd,
        curves,
        elapsed_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Codes one file with every codec; `None` when the bench was cancelled meanwhile.
fn bench_file<B: MediaBench>(
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
    std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create", dir, e))?;
    let mut bench = B::prepare(path, dir, config)?;
    let mut runs = Vec::new();
    for codec in config.codecs() {
        for setting in config.settings(codec) {
            if cancelled.load(Ordering::SeqCst) {
                return Ok(None);
            }
            runs.push(match codec {
                Codec::Quanta => bench.run_quanta(setting)?,
                Codec::Anchor(anchor) => bench.run_anchor(anchor, setting)?,
            });
            progress(&Progress::RunDone {
                file: name.clone(),
                codec,
                setting,
            });
        }
    }
    let source = bench.source();
    drop(bench);
    let _ = std::fs::remove_dir_all(dir);
    progress(&Progress::FileDone { file: name.clone() });
    Ok(Some(FileResult {
        path: path.to_path_buf(),
        name,
        source,
        runs,
    }))
}

/// Puts the file's name in front of an error's message, unless the message names it already.
pub(crate) fn with_file(path: &Path, e: Error) -> Error {
    let name = path.display();
    if e.to_string().contains(&name.to_string()) {
        return e;
    }
    match e {
        Error::Media(m) => Error::Media(format!("{name}: {m}")),
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("{name}: {m}")),
        Error::Unsupported(m) => Error::Unsupported(format!("{name}: {m}")),
        Error::InvalidStream(m) => Error::InvalidStream(format!("{name}: {m}")),
        other => Error::Media(format!("{name}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::image::{encode_picture_file, PictureFormat};
    use crate::signal::{Picture, PixelLayout};
    use std::sync::Mutex;

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
            let bpp: Vec<f64> = file.runs.iter().map(|r| r.rate.value).collect();
            assert!(bpp[0] < bpp[1] && bpp[1] < bpp[2], "{bpp:?}");
            // A time is only measured, but a speed must be the picture's megapixels (48×32:
            // 0.001536) over that time, not pixels or another file's size.
            for r in &file.runs {
                let megapixels = r.encode_speed.value * r.encode_seconds;
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
