//! `quanta study`: every transform under every quantizer on a folder of pictures, with
//! BD-rates against the exact DCT with the default quantizer, a markdown table on stdout,
//! JSON and a Pareto plot of speed against BD-rate.

use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use quanta::bench::lists::parse_qualities;
use quanta::bench::study::{run_study, StudyConfig, StudyProgress, StudyReport, STUDY_QUALITIES};
use quanta::bench::Metric;
use quanta::report::bounded::study_bounded_table;
use quanta::report::pareto::render_pareto;
use quanta::report::plot::PlotFormat;
use quanta::report::study::{per_file_table, study_json, study_table};
use quanta::{Error, Result};

use crate::output::{write_all, Destination};
use crate::{stderr_is_terminal, Finish};

/// A quality list as the command line writes it.
pub fn qualities_arg(qualities: &[u8]) -> String {
    let words: Vec<String> = qualities.iter().map(|q| q.to_string()).collect();
    words.join(",")
}

#[derive(Args)]
pub struct StudyArgs {
    /// A folder of pictures (or one picture).
    input: PathBuf,
    /// Draw the Pareto plot (speed against BD-rate) to this .png or .svg file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Write the whole study as JSON (schema quanta-study/1) to this file ('-' for stdout).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Qualities swept for every combination (comma-separated).
    #[arg(long, default_value_t = qualities_arg(&STUDY_QUALITIES))]
    qualities: String,
    /// Jobs run at once (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Also code every picture with the error-bounded coder at each maximum error N
    /// (comma-separated, for example 1,2,4,8), beside the transform coders' largest errors.
    #[arg(long, value_name = "LIST")]
    max_error: Option<String>,
}

/// A progress bar on stderr when it is a terminal, hidden otherwise.
pub fn progress_bar() -> ProgressBar {
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

/// Runs a study, reporting progress on `bar`.
pub fn with_progress(config: &StudyConfig, bar: ProgressBar) -> Result<StudyReport> {
    let result = run_study(config, &|event| match event {
        StudyProgress::Started { runs, .. } => bar.set_length(*runs as u64),
        StudyProgress::RunDone {
            file,
            combination,
            quality,
        } => {
            bar.set_message(format!("{file} {} q{quality}", combination.label()));
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    result
}

pub fn run(args: StudyArgs) -> Result<Finish> {
    let plot = match &args.plot {
        Some(path) => Some((
            path.clone(),
            PlotFormat::from_path(path).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "plot file {} must end in .png or .svg",
                    path.display()
                ))
            })?,
        )),
        None => None,
    };
    let config = StudyConfig {
        inputs: vec![args.input.clone()],
        qualities: parse_qualities(&args.qualities)?,
        threads: args.threads,
        max_errors: match &args.max_error {
            Some(list) => crate::bounded::parse_max_errors(list)?,
            None => Vec::new(),
        },
        ..StudyConfig::default()
    };
    let report = with_progress(&config, progress_bar())?;
    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if !json_to_stdout {
        print!("{}", study_table(&report));
        for metric in [Metric::PsnrYcbcr, Metric::SsimY] {
            println!("\n## Per-file BD-rate, {}\n", metric.label());
            print!("{}", per_file_table(&report, metric));
        }
        if let Some(table) = study_bounded_table(&report) {
            println!("\n## Largest sample error: transform coder and error-bounded coder\n");
            print!("{table}");
        }
    }
    if let Some(path) = &args.json {
        write_all(
            &Destination::from_arg(path),
            study_json(&report)?.as_bytes(),
        )?;
    }
    if let Some((path, format)) = &plot {
        write_all(
            &Destination::from_arg(path),
            &render_pareto(&report, *format)?,
        )?;
    }
    let runs: usize = report
        .files
        .iter()
        .flat_map(|f| &f.results)
        .map(|r| r.runs.len())
        .sum();
    eprintln!(
        "quanta study: {} file(s), {runs} runs in {:.1} s",
        report.files.len(),
        report.elapsed_seconds
    );
    Ok(Finish::Ok)
}
