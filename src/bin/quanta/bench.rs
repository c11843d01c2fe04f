//! `quanta bench`: rate-distortion sweeps of quanta against reference encoders, with
//! markdown tables on stdout, CSV/JSON files and plots, and a progress bar on stderr.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use quanta::bench::lists::{
    bench_media, parse_anchors, parse_bitrates, parse_metrics, parse_qualities,
};
use quanta::bench::{
    run_bench, BenchConfig, BenchReport, MediaKind, Progress, RateWindow, DEFAULT_AUDIO_METRICS,
    DEFAULT_BITRATES, DEFAULT_METRICS, DEFAULT_QUALITIES, DEFAULT_VIDEO_METRICS,
    DEFAULT_VIDEO_QUALITIES,
};
use quanta::metrics::BdMethod;
use quanta::report::plot::{render_plot, PlotFormat};
use quanta::report::{csv, json, table};
use quanta::{Error, Result};

use crate::output::{write_all, Destination};
use crate::{stderr_is_terminal, Finish};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BdArg {
    /// Piecewise cubic Hermite interpolation (JVET/AOM common test conditions).
    Pchip,
    /// One least-squares cubic polynomial (VCEG-M33, the classic Bjøntegaard).
    Cubic,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Picture, audio or Y4M video files, or folders whose picture (or audio, or Y4M) files
    /// are all benchmarked.
    #[arg(required_unless_present_any = ["run_job", "merge"])]
    inputs: Vec<PathBuf>,
    /// quanta qualities to sweep (0 to 100, comma-separated; default
    /// 10,20,30,40,50,60,70,80,90,95 for pictures, 30,45,60,75,90 for Y4M video).
    #[arg(long)]
    quality: Option<String>,
    /// Bitrates in kbit/s to sweep (audio and video only; audio default 48,64,96,128).
    #[arg(long)]
    bitrate: Option<String>,
    /// Reference encoders run on the same inputs: jpeg, webp, avif, jxl for pictures; opus,
    /// vorbis, aac, mp3 for audio; x264, x265, mpeg2 for video (comma-separated), or none.
    #[arg(long, default_value = "none")]
    anchors: String,
    /// Metrics to report and compute BD-rates on: psnr-ycbcr, ssim-y, psnr-y, psnr-rgb,
    /// ssimulacra2 for pictures (default psnr-ycbcr,ssim-y); snr, segsnr, psnr for audio
    /// (default snr,segsnr); psnr-yuv, ssim-y for video (default both).
    #[arg(long)]
    metric: Option<String>,
    /// BD-rate interpolation.
    #[arg(long, value_enum, default_value = "pchip")]
    bd: BdArg,
    /// Leave points below this many bits per pixel out of the BD-rates.
    #[arg(long)]
    min_bpp: Option<f64>,
    /// Leave points above this many bits per pixel out of the BD-rates.
    #[arg(long)]
    max_bpp: Option<f64>,
    /// Write one CSV row per run to this file ('-' for standard output).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write the whole report as JSON (schema quanta-bench/2, docs/BENCH.md) to this file
    /// ('-' for standard output).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the rate-distortion curves to this .png or .svg file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Files coded at once (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Error-bounded bench of pictures: quanta at each maximum error N (comma-separated,
    /// 0 = lossless, for example 0,1,2,4,8) against lossless and near-lossless anchors
    /// (webp-lossless, jxl-lossless, png, jpegls).
    #[arg(long, value_name = "LIST", conflicts_with_all = ["quality", "bitrate", "metric"])]
    max_error: Option<String>,
    /// Lossless bench: quanta's lossless mode against lossless anchors (pictures:
    /// webp-lossless, jxl-lossless, png, jpegls; audio: flac); as --max-error 0.
    #[arg(long, conflicts_with_all = ["quality", "bitrate", "metric", "max_error"])]
    lossless: bool,
    /// Do not run: write the bench as jobs to this file ('-' for standard output), one JSON
    /// line per file, codec and setting, for `--run-job` on any machine that sees the same
    /// paths (give absolute ones).
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["run_job", "merge", "max_error", "lossless"])]
    plan: Option<PathBuf>,
    /// Run one job of a plan: a job line itself, or FILE:N for line N (from 0) of a --plan
    /// file. Its record (one JSON line) goes to standard output, or to --json.
    #[arg(long, value_name = "LINE_OR_FILE:N",
          conflicts_with_all = ["inputs", "merge", "max_error", "lossless", "csv", "plot"])]
    run_job: Option<String>,
    /// Build the report from the records of every job of one plan (JSON lines, in any
    /// order; '-' for standard input): the same tables, BD-rates, CSV, JSON and plots as a
    /// direct run, timings aside.
    #[arg(long, value_name = "RECORDS",
          conflicts_with_all = ["inputs", "max_error", "lossless"])]
    merge: Option<PathBuf>,
}

/// The quality sweep asked for, or `default`.
fn qualities_or(args: &BenchArgs, default: &[u8]) -> Result<Vec<u8>> {
    match &args.quality {
        Some(list) => parse_qualities(list),
        None => Ok(default.to_vec()),
    }
}

/// Builds the library's configuration from the arguments.
fn config_from(args: &BenchArgs) -> Result<BenchConfig> {
    let media = bench_media(&args.inputs);
    let video = media == MediaKind::Video;
    if video && args.bitrate.is_some() {
        return Err(Error::InvalidArgument(
            "--bitrate applies to audio; video is swept by quality (use --quality)".into(),
        ));
    }
    if video {
        return Ok(BenchConfig {
            inputs: args.inputs.clone(),
            media: MediaKind::Video,
            qualities: qualities_or(args, &DEFAULT_VIDEO_QUALITIES)?,
            bitrates: Vec::new(),
            anchors: parse_anchors(&args.anchors)?,
            metrics: match &args.metric {
                Some(list) => parse_metrics(list)?,
                None => DEFAULT_VIDEO_METRICS.to_vec(),
            },
            bd_method: bd_method(args.bd),
            window: RateWindow::new(args.min_bpp, args.max_bpp)?,
            threads: args.threads,
        });
    }
    if media == MediaKind::Audio {
        return Ok(BenchConfig {
            inputs: args.inputs.clone(),
            media: MediaKind::Audio,
            qualities: Vec::new(),
            bitrates: match &args.bitrate {
                Some(list) => parse_bitrates(list)?,
                None => DEFAULT_BITRATES.to_vec(),
            },
            anchors: parse_anchors(&args.anchors)?,
            metrics: match &args.metric {
                Some(list) => parse_metrics(list)?,
                None => DEFAULT_AUDIO_METRICS.to_vec(),
            },
            bd_method: bd_method(args.bd),
            window: RateWindow::new(args.min_bpp, args.max_bpp)?,
            threads: args.threads,
        });
    }
    if let Some(list) = &args.bitrate {
        let parsed = parse_bitrates(list)?;
        let shown: Vec<String> = parsed.iter().map(|b| b.to_string()).collect();
        return Err(Error::InvalidArgument(format!(
            "--bitrate {} applies to audio and video; pictures are swept by quality \
             (use --quality)",
            shown.join(",")
        )));
    }
    Ok(BenchConfig {
        inputs: args.inputs.clone(),
        media: MediaKind::Image,
        qualities: qualities_or(args, &DEFAULT_QUALITIES)?,
        bitrates: Vec::new(),
        anchors: parse_anchors(&args.anchors)?,
        metrics: match &args.metric {
            Some(list) => parse_metrics(list)?,
            None => DEFAULT_METRICS.to_vec(),
        },
        bd_method: bd_method(args.bd),
        window: RateWindow::new(args.min_bpp, args.max_bpp)?,
        threads: args.threads,
    })
}

/// The error-bounded bench asked for by --max-error or --lossless.
fn bounded_args(args: &BenchArgs) -> Result<crate::bounded::BoundedArgs> {
    let media = bench_media(&args.inputs);
    let max_errors = match &args.max_error {
        Some(list) => crate::bounded::parse_max_errors(list)?,
        None => vec![0],
    };
    for (given, name) in [
        (args.min_bpp.is_some(), "--min-bpp"),
        (args.max_bpp.is_some(), "--max-bpp"),
    ] {
        if given {
            return Err(Error::InvalidArgument(format!(
                "{name} applies to rate-distortion benches, not to --lossless or --max-error"
            )));
        }
    }
    Ok(crate::bounded::BoundedArgs {
        config: quanta::bench::bounded::BoundedConfig {
            inputs: args.inputs.clone(),
            media,
            max_errors,
            anchors: crate::bounded::parse_bounded_anchors(&args.anchors)?,
            threads: args.threads,
        },
        csv: args.csv.clone(),
        json: args.json.clone(),
        plot: match &args.plot {
            Some(path) => Some((path.clone(), plot_format(path)?)),
            None => None,
        },
    })
}

fn bd_method(arg: BdArg) -> BdMethod {
    match arg {
        BdArg::Pchip => BdMethod::Pchip,
        BdArg::Cubic => BdMethod::Cubic,
    }
}

/// The plot's format, checked before the bench runs.
fn plot_format(path: &Path) -> Result<PlotFormat> {
    PlotFormat::from_path(path).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "plot file {} must end in .png or .svg",
            path.display()
        ))
    })
}

/// A progress bar on stderr when it is a terminal, hidden otherwise.
fn progress_bar() -> ProgressBar {
    if !stderr_is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} runs, eta {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Runs a bench with a progress bar; shared with `quanta demo`.
pub fn run_with_progress(config: &BenchConfig) -> Result<BenchReport> {
    let bar = progress_bar();
    let result = run_bench(config, &|event| match event {
        Progress::Started { runs, .. } => bar.set_length(*runs as u64),
        Progress::RunDone {
            file,
            codec,
            setting,
        } => {
            bar.set_message(format!("{file} {} {setting}", codec.name()));
            bar.inc(1);
        }
        Progress::FileDone { .. } => {}
    });
    bar.finish_and_clear();
    result
}

/// The markdown report: the run table, then the BD-rates and the points they used.
pub fn markdown_report(report: &BenchReport, with_runs: bool) -> String {
    let mut out = String::new();
    if with_runs {
        out.push_str(&table::runs_table(report));
    }
    let bd = table::bd_table(report);
    if !bd.is_empty() {
        out.push_str("\n## BD-rate of quanta\n\n");
        out.push_str(&bd);
        out.push_str("\nPoints used (settings on each curve / settings run):\n");
        out.push_str(&table::points_used(report));
    }
    out
}

pub fn run(args: BenchArgs) -> Result<Finish> {
    if let Some(spec) = &args.run_job {
        return crate::bench_jobs::run_job(spec, args.json.as_deref());
    }
    if let Some(records) = &args.merge {
        let plot = plot_of(&args)?;
        let report = crate::bench_jobs::merge(records)?;
        write_report(&report, &args, plot)?;
        let runs: usize = report.files.iter().map(|f| f.runs.len()).sum();
        eprintln!(
            "quanta bench: merged {runs} runs of {} file(s), {:.1} s of jobs",
            report.files.len(),
            report.elapsed_seconds
        );
        return Ok(Finish::Ok);
    }
    if args.lossless || args.max_error.is_some() {
        return crate::bounded::run(&bounded_args(&args)?);
    }
    let config = config_from(&args)?;
    if let Some(path) = &args.plan {
        return crate::bench_jobs::write_plan(&config, path);
    }
    let plot = plot_of(&args)?;
    let report = run_with_progress(&config)?;
    write_report(&report, &args, plot)?;
    let runs: usize = report.files.iter().map(|f| f.runs.len()).sum();
    eprintln!(
        "quanta bench: {} file(s), {runs} runs in {:.1} s",
        report.files.len(),
        report.elapsed_seconds
    );
    Ok(Finish::Ok)
}

/// The plot file and its format, checked before anything runs.
fn plot_of(args: &BenchArgs) -> Result<Option<(PathBuf, PlotFormat)>> {
    Ok(match &args.plot {
        Some(path) => Some((path.clone(), plot_format(path)?)),
        None => None,
    })
}

/// The markdown report on stdout (unless CSV or JSON go there), and the CSV, JSON and plot
/// files asked for.
fn write_report(
    report: &BenchReport,
    args: &BenchArgs,
    plot: Option<(PathBuf, PlotFormat)>,
) -> Result<()> {
    let to_stdout = |p: &Option<PathBuf>| p.as_deref() == Some(Path::new("-"));
    if !to_stdout(&args.csv) && !to_stdout(&args.json) {
        print!("{}", markdown_report(report, true));
    }
    if let Some(path) = &args.csv {
        write_all(
            &Destination::from_arg(path),
            csv::runs_csv(report).as_bytes(),
        )?;
    }
    if let Some(path) = &args.json {
        write_all(
            &Destination::from_arg(path),
            json::to_json(report)?.as_bytes(),
        )?;
    }
    if let Some((path, format)) = &plot {
        write_all(&Destination::from_arg(path), &render_plot(report, *format)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: BenchArgs,
    }

    fn parse(words: &[&str]) -> Result<BenchConfig> {
        let mut all = vec!["bench"];
        all.extend(words);
        config_from(&Cli::parse_from(all).args)
    }

    #[test]
    fn defaults_and_lists() {
        let config = parse(&["pics"]).unwrap();
        assert_eq!(config.qualities.len(), 10);
        assert!(config.anchors.is_empty());
        assert_eq!(config.metrics.len(), 2);
        let config = parse(&[
            "a.png",
            "--anchors",
            "jpeg,webp",
            "--quality",
            "20,40",
            "--bd",
            "cubic",
            "--min-bpp",
            "0.3",
            "--max-bpp",
            "3",
        ])
        .unwrap();
        assert_eq!(config.anchors.len(), 2);
        assert_eq!(config.qualities, vec![20, 40]);
        assert_eq!(config.bd_method, BdMethod::Cubic);
        assert_eq!(config.window.max_bpp, Some(3.0));
    }

    #[test]
    fn bitrate_is_refused_for_pictures() {
        let err = parse(&["a.png", "--bitrate", "64,128"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--bitrate") && err.contains("--quality"),
            "{err}"
        );
        assert!(parse(&["a.png", "--min-bpp", "3", "--max-bpp", "1"]).is_err());
        assert!(plot_format(Path::new("rd.pdf")).is_err());
    }
}
