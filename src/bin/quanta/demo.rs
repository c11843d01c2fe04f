//! `quanta demo`: a small bench on the bundled sample pictures. It codes them at several
//! qualities, prints rate against quality, and, when cjpeg and djpeg are installed, the
//! BD-rate of quanta against JPEG; without them the comparison is skipped with a note.

use std::path::{Path, PathBuf};

use clap::Args;
use quanta::bench::anchors::{check_available, Anchor};
use quanta::bench::lists::parse_qualities;
use quanta::bench::{BenchConfig, MediaKind};
use quanta::{Error, Result};

use crate::bench::{markdown_report, run_with_progress};
use crate::Finish;

#[derive(Args)]
pub struct DemoArgs {
    /// Folder of sample media (default: ./samples, or the one beside the quanta sources).
    #[arg(long)]
    samples: Option<PathBuf>,
    /// Qualities to encode at (comma-separated, 0 to 100).
    #[arg(long, alias = "qualities", default_value = "20,40,60,75,90")]
    quality: String,
    /// Files coded at once (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn samples_dir(arg: &Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = arg {
        return Ok(dir.clone());
    }
    let here = PathBuf::from("samples");
    if here.is_dir() {
        return Ok(here);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    if beside.is_dir() {
        return Ok(beside);
    }
    Err(Error::InvalidArgument(
        "no samples folder found (run from the quanta source tree or pass --samples DIR)".into(),
    ))
}

pub fn run(args: DemoArgs) -> Result<Finish> {
    let dir = samples_dir(&args.samples)?;
    let anchors = match check_available(Anchor::Jpeg) {
        Ok(()) => vec![Anchor::Jpeg],
        Err(e) => {
            eprintln!("quanta demo: skipping the comparison with JPEG: {e}");
            Vec::new()
        }
    };
    let config = BenchConfig {
        inputs: vec![dir.clone()],
        media: MediaKind::Image,
        qualities: parse_qualities(&args.quality)?,
        anchors,
        threads: args.threads,
        ..BenchConfig::default()
    };
    let report = run_with_progress(&config)?;
    println!(
        "quanta demo: {} sample picture(s) from {}\n",
        report.files.len(),
        dir.display()
    );
    print!("{}", markdown_report(&report, true));
    crate::demo_audio::run(&dir, args.threads)?;
    println!(
        "\nFor the full benchmark: quanta bench {} --anchors jpeg,webp --plot rd.png",
        dir.display()
    );
    Ok(Finish::Ok)
}
