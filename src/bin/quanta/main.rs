//! The `quanta` command: encode, decode, inspect and compare media, benchmark the codec,
//! and run the demo.
//!
//! This binary owns the terminal: it parses arguments with clap, prints tables and
//! progress bars on stderr, and turns library errors into messages and exit codes
//! (0 success, 1 error, 2 bad usage, 3 decoded with damage, 141 the reader of
//! standard output went away). It uses only the public API
//! of the `quanta` library.

mod applies;
mod audio;
mod bench;
mod bench_jobs;
mod bounded;
mod compare;
mod concat;
mod decode;
mod demo;
mod demo_audio;
mod encode;
mod info;
mod output;
mod plan;
mod study;
mod transforms;
mod video;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// quanta: a streaming transform codec toolkit.
#[derive(Parser)]
#[command(name = "quanta", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Chroma {
    #[value(name = "420")]
    Yuv420,
    #[value(name = "444")]
    Yuv444,
}

#[derive(Subcommand)]
enum Command {
    /// Encode a picture (PNG, JPEG, ...) or audio (WAV, FLAC, MP3, Ogg Vorbis, AAC, AIFF, CAF, raw PCM).
    Encode(encode::EncodeArgs),
    /// Decode a quanta stream into a picture (PNG, PPM/PGM, BMP, TIFF, QOI) or audio (WAV, raw PCM).
    Decode(decode::DecodeArgs),
    /// Join video segment streams (`quanta encode --segment`) into one stream.
    Concat(concat::ConcatArgs),
    /// Cut a Y4M clip (at scene cuts near the boundaries) or an audio file into segments
    /// for `encode --segment`; prints the list as JSON.
    Plan(plan::PlanArgs),
    /// Print a stream's header and a summary of its packets.
    Info {
        /// The stream to inspect ('-' for standard input).
        input: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure how far a decoded picture (PSNR, SSIM) or audio file (SNR, segmental SNR, PSNR) is from its reference.
    Compare {
        /// The original.
        reference: PathBuf,
        /// The decoded or distorted version.
        distorted: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Pictures: also print SSIMULACRA2 (slower).
        #[arg(long)]
        ssimulacra2: bool,
    },
    /// Encode and decode the bundled samples at several qualities and print the results.
    Demo(demo::DemoArgs),
    /// Rate-distortion benchmark: quanta against reference encoders (cjpeg, cwebp, ...) on
    /// pictures, with BD-rates, tables, CSV/JSON and plots.
    Bench(bench::BenchArgs),
    /// The transform family: arithmetic cost, coding gain, efficiency, errors and speed of
    /// every member, and with --images its BD-rate against the exact DCT.
    Transforms(transforms::TransformsArgs),
    /// Quantization versus approximation: every transform under every quantizer on a
    /// folder of pictures, BD-rates, speeds and a Pareto plot.
    Study(study::StudyArgs),
}

/// Outcome of a command that ran to the end.
pub enum Finish {
    Ok,
    /// The output was written, but parts of the input were damaged.
    Damaged,
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // The subcommand's own matches tell which options were given on the command line.
    let given = matches
        .subcommand()
        .map_or_else(ArgMatches::default, |(_, m)| m.clone());
    let result = match cli.command {
        Command::Encode(args) => encode::run(args, &given),
        Command::Decode(args) => decode::run(args, &given),
        Command::Concat(args) => concat::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Info { input, json } => info::run(&input, json),
        Command::Compare {
            reference,
            distorted,
            json,
            ..
        } if video::is_y4m_file(&reference) => video::compare(&reference, &distorted, json),
        Command::Compare {
            reference,
            distorted,
            json,
            ..
        } if audio::both_audio(&reference, &distorted) => {
            audio::compare(&reference, &distorted, json)
        }
        Command::Compare {
            reference,
            distorted,
            json,
            ssimulacra2,
        } => compare::run(&reference, &distorted, json, ssimulacra2),
        Command::Demo(args) => demo::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Transforms(args) => transforms::run(args),
        Command::Study(args) => study::run(args),
    };
    match result {
        Ok(Finish::Ok) => ExitCode::SUCCESS,
        Ok(Finish::Damaged) => ExitCode::from(3),
        Err(quanta::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            // The reader of our output went away (`quanta decode x.qnt -o - | head`): stop
            // quietly with the status a shell gives a process ended by SIGPIPE.
            ExitCode::from(141)
        }
        Err(e) => {
            let mut message = format!("quanta: error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                let text = s.to_string();
                if !message.contains(&text) {
                    message.push_str(&format!(": {text}"));
                }
                source = s.source();
            }
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// True when stderr is a terminal (progress bars and colours go there only then).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// Reads a whole input file or standard input.
pub fn read_input(path: &std::path::Path) -> quanta::Result<Vec<u8>> {
    use std::io::Read;
    if path == std::path::Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| quanta::Error::io("cannot read standard input", e))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|e| quanta::Error::io_path("read", path, e))
    }
}

/// Formats a PSNR, printing infinity as "inf".
pub fn db(value: f64) -> String {
    if value.is_infinite() {
        "inf".to_string()
    } else {
        format!("{value:.2}")
    }
}
