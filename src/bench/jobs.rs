//! A bench cut into independent jobs, so that the runs can be spread over machines and the
//! report assembled afterwards.
//!
//! Input: a [`BenchConfig`]. [`plan_jobs`] lists one [`Job`] per (file, codec, setting),
//! numbered in the order a direct run codes them; each job is one JSON line
//! ([`Job::to_json`]) carrying the whole configuration, so it can run anywhere that sees the
//! same file path. [`run_job`] runs one job with the bench's own per-file steps
//! ([`MediaBench::prepare`], [`MediaBench::run_quanta`] or [`MediaBench::run_anchor`]) in a
//! scratch folder of its own and gives a [`JobRecord`] (the job, what the file holds, the
//! measured run, the job's wall time), again one JSON line. [`merge`] takes the records of
//! every job of one plan, in any order, and builds the [`BenchReport`] a direct run
//! builds: files in input order, runs in codec and sweep order, the same BD-rates and mean
//! curves. Only timings differ: each run's encode and decode seconds and speeds are those
//! measured by its job, and `elapsed_seconds` is the sum of the jobs' wall times.
//!
//! Numbers round-trip exactly (shortest decimal form; infinities and NaN as the strings
//! "inf", "-inf" and "nan").

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Map, Value};

use super::anchors::{check_available, Anchor};
use super::audio::AudioBench;
use super::bd::{mean_curves, summarize};
use super::lists::{collect_files, RateWindow};
use super::picture::PictureBench;
use super::record::{
    AudioQuality, Quality, Rate, RateUnit, RunRecord, SourceInfo, Speed, SpeedUnit,
};
use super::sweep::{with_file, MediaBench};
use super::video::VideoBench;
use super::{BenchConfig, BenchReport, Codec, FileResult, Metric};
use crate::container::MediaKind;
use crate::error::{Error, Result};
use crate::metrics::video::VideoComparison;
use crate::metrics::{BdMethod, PictureComparison};

/// One run of a bench: one file, one codec, one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The whole bench's configuration.
    pub config: BenchConfig,
    /// Place of this job in the plan (0-based), and the plan's job count.
    pub index: usize,
    pub total: usize,
    /// Place of the file in the bench's file list, and the file.
    pub file_index: usize,
    pub file: PathBuf,
    pub codec: Codec,
    pub setting: f64,
}

/// What one job measured.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub job: Job,
    /// What the file holds.
    pub source: SourceInfo,
    pub run: RunRecord,
    /// Wall-clock seconds of the whole job (reading the file included).
    pub seconds: f64,
}

/// Every job of a bench, in the order a direct run codes them. The configuration is checked
/// and the files listed here; anchors are checked where each job runs.
pub fn plan_jobs(config: &BenchConfig) -> Result<Vec<Job>> {
    config.validate()?;
    let files = collect_files(&config.inputs, config.media)?;
    let mut jobs = Vec::new();
    for (file_index, file) in files.iter().enumerate() {
        for codec in config.codecs() {
            for setting in config.settings(codec) {
                jobs.push(Job {
                    config: config.clone(),
                    index: jobs.len(),
                    total: 0,
                    file_index,
                    file: file.clone(),
                    codec,
                    setting,
                });
            }
        }
    }
    let total = jobs.len();
    for job in &mut jobs {
        job.total = total;
    }
    Ok(jobs)
}

/// Runs one job in a scratch folder that is removed when it returns.
pub fn run_job(job: &Job) -> Result<JobRecord> {
    let start = Instant::now();
    job.config.validate()?;
    if let Codec::Anchor(anchor) = job.codec {
        check_available(anchor)?;
    }
    let scratch = tempfile::Builder::new()
        .prefix("quanta-bench-job-")
        .tempdir()
        .map_err(|e| Error::io("cannot create a scratch folder for the bench job", e))?;
    let (source, run) = match job.config.media {
        MediaKind::Image => run_with::<PictureBench>(job, scratch.path()),
        MediaKind::Audio => run_with::<AudioBench>(job, scratch.path()),
        MediaKind::Video => run_with::<VideoBench>(job, scratch.path()),
    }
    .map_err(|e| with_file(&job.file, e))?;
    Ok(JobRecord {
        job: job.clone(),
        source,
        run,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn run_with<B: MediaBench>(job: &Job, dir: &Path) -> Result<(SourceInfo, RunRecord)> {
    let mut bench = B::prepare(&job.file, dir, &job.config)?;
    let run = match job.codec {
        Codec::Quanta => bench.run_quanta(job.setting)?,
        Codec::Anchor(anchor) => bench.run_anchor(anchor, job.setting)?,
    };
    Ok((bench.source(), run))
}

/// The report of a whole plan from the records of all its jobs, in any order. Records of
/// another plan, a job missing or given twice are errors naming the job.
pub fn merge(mut records: Vec<JobRecord>) -> Result<BenchReport> {
    let first = records
        .first()
        .ok_or_else(|| Error::InvalidArgument("no bench records to merge".into()))?;
    let config = first.job.config.clone();
    let total = first.job.total;
    records.sort_by_key(|r| r.job.index);
    for r in &records {
        if r.job.config != config || r.job.total != total {
            return Err(Error::InvalidArgument(format!(
                "record of job {} belongs to another bench plan",
                r.job.index
            )));
        }
    }
    for (expected, r) in records.iter().enumerate() {
        if r.job.index != expected {
            let what = if r.job.index < expected {
                "given twice"
            } else {
                "missing"
            };
            let index = expected.min(r.job.index);
            return Err(Error::InvalidArgument(format!(
                "job {index} of {total} is {what} in the bench records"
            )));
        }
    }
    if records.len() != total {
        return Err(Error::InvalidArgument(format!(
            "job {} of {total} is missing in the bench records",
            records.len()
        )));
    }
    let mut files: Vec<FileResult> = Vec::new();
    let mut elapsed = 0.0;
    for r in records {
        elapsed += r.seconds;
        if files.len() <= r.job.file_index {
            let path = r.job.file.clone();
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            files.push(FileResult {
                path,
                name,
                source: r.source,
                runs: Vec::new(),
            });
        }
        if let Some(file) = files.last_mut() {
            file.runs.push(r.run);
        }
    }
    let bd = summarize(&files, &config);
    let curves = mean_curves(&files, &config);
    Ok(BenchReport {
        config,
        files,
        bd,
        curves,
        elapsed_seconds: elapsed,
    })
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("bad bench job line: {what}"))
}

/// A number as JSON, non-finite values as strings.
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("nan")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn opt_num(x: Option<f64>) -> Value {
    x.map_or(Value::Null, num)
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value> {
    v.get(key)
        .ok_or_else(|| bad(format!("field \"{key}\" missing")))
}

fn get_f64(v: &Value, key: &str) -> Result<f64> {
    as_f64(field(v, key)?).ok_or_else(|| bad(format!("field \"{key}\" is not a number")))
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == "inf" => Some(f64::INFINITY),
        Value::String(s) if s == "-inf" => Some(f64::NEG_INFINITY),
        Value::String(s) if s == "nan" => Some(f64::NAN),
        _ => None,
    }
}

fn get_opt_f64(v: &Value, key: &str) -> Result<Option<f64>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => as_f64(x)
            .map(Some)
            .ok_or_else(|| bad(format!("field \"{key}\" is not a number"))),
    }
}

fn get_u64(v: &Value, key: &str) -> Result<u64> {
    field(v, key)?
        .as_u64()
        .ok_or_else(|| bad(format!("field \"{key}\" is not a whole number")))
}

fn get_str<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    field(v, key)?
        .as_str()
        .ok_or_else(|| bad(format!("field \"{key}\" is not a string")))
}

fn get_list<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>> {
    field(v, key)?
        .as_array()
        .ok_or_else(|| bad(format!("field \"{key}\" is not a list")))
}

fn media_name(media: MediaKind) -> &'static str {
    media.name()
}

fn media_from(name: &str) -> Result<MediaKind> {
    match name {
        "image" => Ok(MediaKind::Image),
        "audio" => Ok(MediaKind::Audio),
        "video" => Ok(MediaKind::Video),
        other => Err(bad(format!("media \"{other}\""))),
    }
}

fn codec_from(name: &str) -> Result<Codec> {
    if name == "quanta" {
        return Ok(Codec::Quanta);
    }
    Anchor::from_name(name)
        .map(Codec::Anchor)
        .ok_or_else(|| bad(format!("codec \"{name}\"")))
}

fn config_value(c: &BenchConfig) -> Value {
    json!({
        "inputs": c.inputs.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "media": media_name(c.media),
        "qualities": c.qualities,
        "bitrates": c.bitrates.iter().map(|&b| num(b)).collect::<Vec<_>>(),
        "anchors": c.anchors.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "metrics": c.metrics.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "bd_method": match c.bd_method {
            BdMethod::Pchip => "pchip",
            BdMethod::Cubic => "cubic",
        },
        "min_bpp": opt_num(c.window.min_bpp),
        "max_bpp": opt_num(c.window.max_bpp),
        "threads": c.threads,
    })
}

fn config_from(v: &Value) -> Result<BenchConfig> {
    let strings = |key: &str| -> Result<Vec<String>> {
        get_list(v, key)?
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(format!("an entry of \"{key}\" is not a string")))
            })
            .collect()
    };
    let qualities = get_list(v, "qualities")?
        .iter()
        .map(|q| {
            q.as_u64()
                .and_then(|q| u8::try_from(q).ok())
                .ok_or_else(|| bad("a quality is not 0 to 255"))
        })
        .collect::<Result<Vec<u8>>>()?;
    let bitrates = get_list(v, "bitrates")?
        .iter()
        .map(|b| as_f64(b).ok_or_else(|| bad("a bitrate is not a number")))
        .collect::<Result<Vec<f64>>>()?;
    let anchors = strings("anchors")?
        .iter()
        .map(|a| Anchor::from_name(a).ok_or_else(|| bad(format!("anchor \"{a}\""))))
        .collect::<Result<Vec<Anchor>>>()?;
    let metrics = strings("metrics")?
        .iter()
        .map(|m| Metric::from_name(m).ok_or_else(|| bad(format!("metric \"{m}\""))))
        .collect::<Result<Vec<Metric>>>()?;
    Ok(BenchConfig {
        inputs: strings("inputs")?.into_iter().map(PathBuf::from).collect(),
        media: media_from(get_str(v, "media")?)?,
        qualities,
        bitrates,
        anchors,
        metrics,
        bd_method: match get_str(v, "bd_method")? {
            "pchip" => BdMethod::Pchip,
            "cubic" => BdMethod::Cubic,
            other => return Err(bad(format!("BD method \"{other}\""))),
        },
        window: RateWindow {
            min_bpp: get_opt_f64(v, "min_bpp")?,
            max_bpp: get_opt_f64(v, "max_bpp")?,
        },
        threads: get_u64(v, "threads")? as usize,
    })
}

impl Job {
    fn value(&self) -> Value {
        json!({
            "schema": "quanta-bench-job/1",
            "index": self.index,
            "total": self.total,
            "file_index": self.file_index,
            "file": self.file.to_string_lossy(),
            "codec": self.codec.name(),
            "setting": num(self.setting),
            "config": config_value(&self.config),
        })
    }

    fn from_value(v: &Value) -> Result<Job> {
        let schema = get_str(v, "schema")?;
        if schema != "quanta-bench-job/1" {
            return Err(bad(format!(
                "schema \"{schema}\", expected quanta-bench-job/1"
            )));
        }
        Ok(Job {
            config: config_from(field(v, "config")?)?,
            index: get_u64(v, "index")? as usize,
            total: get_u64(v, "total")? as usize,
            file_index: get_u64(v, "file_index")? as usize,
            file: PathBuf::from(get_str(v, "file")?),
            codec: codec_from(get_str(v, "codec")?)?,
            setting: get_f64(v, "setting")?,
        })
    }

    /// The job as one line of JSON (no line break).
    pub fn to_json(&self) -> String {
        self.value().to_string()
    }

    /// Reads a line written by [`Job::to_json`].
    pub fn from_json(line: &str) -> Result<Job> {
        let v: Value = serde_json::from_str(line.trim()).map_err(bad)?;
        Job::from_value(&v)
    }
}

fn speed_unit_from(name: &str) -> Result<SpeedUnit> {
    [
        SpeedUnit::MegapixelsPerSecond,
        SpeedUnit::MegaSampleFramesPerSecond,
        SpeedUnit::FramesPerSecond,
    ]
    .into_iter()
    .find(|u| u.name() == name)
    .ok_or_else(|| bad(format!("speed unit \"{name}\"")))
}

fn rate_unit_from(name: &str) -> Result<RateUnit> {
    [RateUnit::BitsPerPixel, RateUnit::KbitPerSecond]
        .into_iter()
        .find(|u| u.name() == name)
        .ok_or_else(|| bad(format!("rate unit \"{name}\"")))
}

fn quality_value(q: &Quality) -> Value {
    match q {
        Quality::Picture {
            comparison: c,
            ssimulacra2,
        } => json!({
            "kind": "picture",
            "width": c.width,
            "height": c.height,
            "psnr_y": num(c.psnr_y),
            "psnr_cb": opt_num(c.psnr_cb),
            "psnr_cr": opt_num(c.psnr_cr),
            "psnr_ycbcr": num(c.psnr_ycbcr),
            "psnr_rgb": opt_num(c.psnr_rgb),
            "ssim_y": num(c.ssim_y),
            "ssimulacra2": opt_num(*ssimulacra2),
        }),
        Quality::Audio(a) => json!({
            "kind": "audio",
            "snr": num(a.snr),
            "segsnr": num(a.segsnr),
            "psnr": num(a.psnr),
        }),
        Quality::Video(c) => json!({
            "kind": "video",
            "frames": c.frames,
            "psnr_y": num(c.psnr_y),
            "psnr_cb": opt_num(c.psnr_cb),
            "psnr_cr": opt_num(c.psnr_cr),
            "psnr_yuv": num(c.psnr_yuv),
            "ssim_y": num(c.ssim_y),
        }),
    }
}

fn quality_from(v: &Value) -> Result<Quality> {
    match get_str(v, "kind")? {
        "picture" => Ok(Quality::Picture {
            comparison: PictureComparison {
                width: get_u64(v, "width")? as usize,
                height: get_u64(v, "height")? as usize,
                psnr_y: get_f64(v, "psnr_y")?,
                psnr_cb: get_opt_f64(v, "psnr_cb")?,
                psnr_cr: get_opt_f64(v, "psnr_cr")?,
                psnr_ycbcr: get_f64(v, "psnr_ycbcr")?,
                psnr_rgb: get_opt_f64(v, "psnr_rgb")?,
                ssim_y: get_f64(v, "ssim_y")?,
            },
            ssimulacra2: get_opt_f64(v, "ssimulacra2")?,
        }),
        "audio" => Ok(Quality::Audio(AudioQuality {
            snr: get_f64(v, "snr")?,
            segsnr: get_f64(v, "segsnr")?,
            psnr: get_f64(v, "psnr")?,
        })),
        "video" => Ok(Quality::Video(VideoComparison {
            frames: get_u64(v, "frames")?,
            psnr_y: get_f64(v, "psnr_y")?,
            psnr_cb: get_opt_f64(v, "psnr_cb")?,
            psnr_cr: get_opt_f64(v, "psnr_cr")?,
            psnr_yuv: get_f64(v, "psnr_yuv")?,
            ssim_y: get_f64(v, "ssim_y")?,
        })),
        other => Err(bad(format!("quality kind \"{other}\""))),
    }
}

fn source_from(v: &Value) -> Result<SourceInfo> {
    let small = |key: &str| -> Result<u32> {
        u32::try_from(get_u64(v, key)?).map_err(|_| bad(format!("field \"{key}\" is too large")))
    };
    match get_str(v, "kind")? {
        "picture" => Ok(SourceInfo::Picture {
            width: get_u64(v, "width")? as usize,
            height: get_u64(v, "height")? as usize,
        }),
        "audio" => Ok(SourceInfo::Audio {
            sample_rate: small("sample_rate")?,
            channels: get_u64(v, "channels")? as usize,
            frames: get_u64(v, "frames")? as usize,
        }),
        "video" => {
            let rate = get_list(v, "frame_rate")?;
            let part = |i: usize| {
                rate.get(i)
                    .and_then(Value::as_u64)
                    .and_then(|x| u32::try_from(x).ok())
                    .ok_or_else(|| bad("frame rate is not two whole numbers"))
            };
            Ok(SourceInfo::Video {
                width: get_u64(v, "width")? as usize,
                height: get_u64(v, "height")? as usize,
                frames: get_u64(v, "frames")?,
                frame_rate: (part(0)?, part(1)?),
            })
        }
        other => Err(bad(format!("source kind \"{other}\""))),
    }
}

fn run_value(r: &RunRecord) -> Value {
    json!({
        "codec": r.codec.name(),
        "setting": num(r.setting),
        "bytes": r.bytes,
        "rate": {"value": num(r.rate.value), "unit": r.rate.unit.name()},
        "quality": quality_value(&r.quality),
        "encode_seconds": num(r.encode_seconds),
        "decode_seconds": num(r.decode_seconds),
        "encode_speed": {"value": num(r.encode_speed.value), "unit": r.encode_speed.unit.name()},
        "decode_speed": {"value": num(r.decode_speed.value), "unit": r.decode_speed.unit.name()},
    })
}

fn run_from(v: &Value) -> Result<RunRecord> {
    let speed = |key: &str| -> Result<Speed> {
        let s = field(v, key)?;
        Ok(Speed {
            value: get_f64(s, "value")?,
            unit: speed_unit_from(get_str(s, "unit")?)?,
        })
    };
    let rate = field(v, "rate")?;
    Ok(RunRecord {
        codec: codec_from(get_str(v, "codec")?)?,
        setting: get_f64(v, "setting")?,
        bytes: get_u64(v, "bytes")?,
        rate: Rate {
            value: get_f64(rate, "value")?,
            unit: rate_unit_from(get_str(rate, "unit")?)?,
        },
        quality: quality_from(field(v, "quality")?)?,
        encode_seconds: get_f64(v, "encode_seconds")?,
        decode_seconds: get_f64(v, "decode_seconds")?,
        encode_speed: speed("encode_speed")?,
        decode_speed: speed("decode_speed")?,
    })
}

impl JobRecord {
    /// The record as one line of JSON (no line break).
    pub fn to_json(&self) -> String {
        let mut v = Map::new();
        v.insert("schema".into(), json!("quanta-bench-record/1"));
        v.insert("job".into(), self.job.value());
        v.insert(
            "source".into(),
            crate::report::json::source_value(&self.source),
        );
        v.insert("run".into(), run_value(&self.run));
        v.insert("seconds".into(), num(self.seconds));
        Value::Object(v).to_string()
    }

    /// Reads a line written by [`JobRecord::to_json`].
    pub fn from_json(line: &str) -> Result<JobRecord> {
        let v: Value = serde_json::from_str(line.trim()).map_err(bad)?;
        let schema = get_str(&v, "schema")?;
        if schema != "quanta-bench-record/1" {
            return Err(bad(format!(
                "schema \"{schema}\", expected quanta-bench-record/1"
            )));
        }
        Ok(JobRecord {
            job: Job::from_value(field(&v, "job")?)?,
            source: source_from(field(&v, "source")?)?,
            run: run_from(field(&v, "run")?)?,
            seconds: get_f64(&v, "seconds")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> JobRecord {
        let config = BenchConfig {
            inputs: vec![PathBuf::from("a dir/x.png")],
            anchors: vec![Anchor::Jpeg],
            window: RateWindow {
                min_bpp: Some(0.1),
                max_bpp: None,
            },
            ..BenchConfig::default()
        };
        JobRecord {
            job: Job {
                config,
                index: 3,
                total: 20,
                file_index: 0,
                file: PathBuf::from("a dir/x.png"),
                codec: Codec::Anchor(Anchor::Jpeg),
                setting: 0.1 + 0.2,
            },
            source: SourceInfo::Picture {
                width: 48,
                height: 32,
            },
            run: RunRecord {
                codec: Codec::Anchor(Anchor::Jpeg),
                setting: 0.1 + 0.2,
                bytes: 1234,
                rate: Rate::bits_per_pixel(1234, 48, 32).unwrap(),
                quality: Quality::Picture {
                    comparison: PictureComparison {
                        width: 48,
                        height: 32,
                        psnr_y: f64::INFINITY,
                        psnr_cb: Some(1.0 / 3.0),
                        psnr_cr: None,
                        psnr_ycbcr: 40.123456789,
                        psnr_rgb: Some(39.0),
                        ssim_y: 0.987654321,
                    },
                    ssimulacra2: None,
                },
                encode_seconds: 0.0,
                decode_seconds: 1e-7,
                encode_speed: Speed::new(1.0, 0.0, SpeedUnit::MegapixelsPerSecond),
                decode_speed: Speed::new(1.0, 1e-7, SpeedUnit::MegapixelsPerSecond),
            },
            seconds: 0.25,
        }
    }

    #[test]
    fn jobs_and_records_round_trip_exactly() {
        let r = record();
        let line = r.to_json();
        assert!(!line.contains('\n'));
        assert_eq!(JobRecord::from_json(&line).unwrap(), r);
        let job = Job::from_json(&r.job.to_json()).unwrap();
        assert_eq!(job, r.job);
        let other = line.replace("quanta-bench-record/1", "quanta-bench-record/9");
        assert!(JobRecord::from_json(&other).is_err());
        assert!(Job::from_json("{\"schema\": \"quanta-bench-job/1\"}").is_err());
    }

    #[test]
    fn merge_names_missing_and_doubled_jobs() {
        let r = record();
        let mut second = r.clone();
        second.job.index = 4;
        let err = merge(vec![r.clone(), second]).unwrap_err().to_string();
        assert!(err.contains("job 0 of 20 is missing"), "{err}");
        let mut a = r.clone();
        a.job.index = 0;
        a.job.total = 2;
        let err = merge(vec![a.clone(), a.clone()]).unwrap_err().to_string();
        assert!(err.contains("job 0 of 2 is given twice"), "{err}");
        let err = merge(vec![a]).unwrap_err().to_string();
        assert!(err.contains("job 1 of 2 is missing"), "{err}");
    }
}
