//! `quanta transforms`: the table of the transform family (cost, coding gain, efficiency,
//! orthogonality, round-trip error, speed) and, with `--images`, each member's BD-rate
//! against the exact DCT on real pictures; markdown or JSON on stdout.

use std::path::PathBuf;

use clap::Args;
use quanta::bench::lists::parse_qualities;
use quanta::bench::study::{Quantizer, StudyConfig, STUDY_QUALITIES};
use quanta::report::study::{transforms_json, transforms_table};
use quanta::transform::analysis::transform_table;
use quanta::transform::TransformId;
use quanta::Result;

use crate::study::{progress_bar, qualities_arg, with_progress};
use crate::Finish;

#[derive(Args)]
pub struct TransformsArgs {
    /// Print JSON (schema quanta-transforms/1) instead of a markdown table.
    #[arg(long)]
    json: bool,
    /// Also code the pictures of this folder (or file) with every member and give its
    /// BD-rate against the exact DCT (codec defaults otherwise).
    #[arg(long)]
    images: Option<PathBuf>,
    /// Qualities swept with --images (comma-separated).
    #[arg(long, default_value_t = qualities_arg(&STUDY_QUALITIES))]
    qualities: String,
    /// Jobs run at once with --images (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(args: TransformsArgs) -> Result<Finish> {
    let study = match &args.images {
        Some(dir) => {
            let config = StudyConfig {
                inputs: vec![dir.clone()],
                qualities: parse_qualities(&args.qualities)?,
                transforms: TransformId::ALL.to_vec(),
                quantizers: vec![Quantizer::Rdo],
                threads: args.threads,
                max_errors: Vec::new(),
            };
            Some(with_progress(&config, progress_bar())?)
        }
        None => None,
    };
    let rows = match &study {
        Some(report) => report.transforms.clone(),
        None => transform_table(),
    };
    if args.json {
        print!("{}", transforms_json(&rows, study.as_ref())?);
    } else {
        print!("{}", transforms_table(&rows, study.as_ref()));
        println!(
            "\ncost: additions/shifts/multiplications of one 8-point butterfly; gain and \
             efficiency for AR(1), rho = 0.95; errors in pixel levels, no quantization"
        );
        if let Some(report) = &study {
            println!(
                "BD-rate: against dct, mean over {} file(s) (per-file range), codec defaults, \
                 qualities {}; {:.1} s",
                report.files.len(),
                args.qualities,
                report.elapsed_seconds
            );
        }
    }
    Ok(Finish::Ok)
}
