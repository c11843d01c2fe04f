//! `quanta bench --lossless` and `quanta bench --max-error LIST`: the error-bounded bench,
//! quanta's lossless and near-lossless coders against lossless anchors, as a markdown table
//! on stdout, CSV, JSON and a rate-against-error plot.

use std::path::{Path, PathBuf};

use quanta::bench::bounded::{run_bounded, BoundedAnchor, BoundedConfig, BoundedProgress};
use quanta::report::bounded::{bounded_csv, bounded_json, bounded_table, render_bounded_plot};
use quanta::report::plot::PlotFormat;
use quanta::{Error, Result};

use crate::output::{write_all, Destination};
use crate::Finish;

/// What the command line asked of an error-bounded bench.
pub struct BoundedArgs {
    pub config: BoundedConfig,
    pub csv: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub plot: Option<(PathBuf, PlotFormat)>,
}

/// A comma-separated list of maximum errors (0 to 32).
pub fn parse_max_errors(list: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for word in list.split(',').map(str::trim) {
        let n: u8 = word.parse().ok().filter(|&n: &u8| n <= 32).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "maximum error '{word}' in --max-error (expected whole numbers 0 to 32, \
                     comma-separated)"
            ))
        })?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

/// The anchors of an error-bounded bench ("none", or names comma-separated).
pub fn parse_bounded_anchors(list: &str) -> Result<Vec<BoundedAnchor>> {
    if list.trim() == "none" {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for word in list.split(',').map(str::trim) {
        let anchor = BoundedAnchor::from_name(word).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown anchor '{word}' for --lossless/--max-error (expected webp-lossless, \
                 jxl-lossless, png, jpegls for pictures, flac for audio, or none)"
            ))
        })?;
        if !out.contains(&anchor) {
            out.push(anchor);
        }
    }
    Ok(out)
}

pub fn run(args: &BoundedArgs) -> Result<Finish> {
    let to_stdout = |p: &Option<PathBuf>| p.as_deref() == Some(Path::new("-"));
    let bar = crate::study::progress_bar();
    let report = run_bounded(&args.config, &|event| match event {
        BoundedProgress::Started { files } => bar.set_length(*files as u64),
        BoundedProgress::FileDone { name } => {
            bar.set_message(name.clone());
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let report = report?;
    if !to_stdout(&args.csv) && !to_stdout(&args.json) {
        print!("{}", bounded_table(&report));
    }
    if let Some(path) = &args.csv {
        write_all(
            &Destination::from_arg(path),
            bounded_csv(&report).as_bytes(),
        )?;
    }
    if let Some(path) = &args.json {
        write_all(
            &Destination::from_arg(path),
            bounded_json(&report)?.as_bytes(),
        )?;
    }
    if let Some((path, format)) = &args.plot {
        write_all(
            &Destination::from_arg(path),
            &render_bounded_plot(&report, *format)?,
        )?;
    }
    eprintln!(
        "quanta bench: {} file(s), error-bounded, in {:.1} s",
        report.files.len(),
        report.elapsed_seconds
    );
    Ok(Finish::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_refuse_clearly() {
        assert_eq!(parse_max_errors("0, 1,2,2,8").unwrap(), vec![0, 1, 2, 8]);
        let err = parse_max_errors("1,33").unwrap_err().to_string();
        assert!(err.contains("'33'"), "{err}");
        assert!(parse_max_errors("x").is_err());
        assert_eq!(
            parse_bounded_anchors("jpegls,flac").unwrap(),
            vec![BoundedAnchor::JpegLs, BoundedAnchor::Flac]
        );
        assert!(parse_bounded_anchors("none").unwrap().is_empty());
        let err = parse_bounded_anchors("webp").unwrap_err().to_string();
        assert!(
            err.contains("'webp'") && err.contains("webp-lossless"),
            "{err}"
        );
    }
}
