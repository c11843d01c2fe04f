//! `quanta decode`: a quanta stream in, a picture file out.

use std::path::PathBuf;

use clap::{ArgMatches, Args};
use quanta::codec::image::{decode_picture_stream, ImageDecodeOptions};
use quanta::container::{ContainerReader, MediaKind};
use quanta::media::image::{encode_deep_picture_file, encode_picture_file, PictureFormat};
use quanta::{Error, Result};

use crate::applies::{self, Kind, DECODE_OPTIONS};
use crate::output::{check_not_input, write_all, Destination};
use crate::Finish;

#[derive(Args)]
pub struct DecodeArgs {
    /// Input stream ('-' for standard input).
    input: PathBuf,
    /// Output picture ('-' for standard output).
    #[arg(short, long)]
    output: PathBuf,
    /// Output format (png, ppm, bmp, tiff, qoi); by default the output's extension, or png.
    #[arg(long)]
    format: Option<String>,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[command(flatten)]
    audio: crate::audio::AudioDecodeArgs,
}

/// Decodes; `given` tells which options were on the command line (see [`applies`]).
pub fn run(args: DecodeArgs, given: &ArgMatches) -> Result<Finish> {
    check_not_input(&args.input, &args.output)?;
    let (input, kind) = crate::video::open_stream(&args.input)?;
    if kind == Some(MediaKind::Video) {
        applies::check(given, DECODE_OPTIONS, Kind::Video);
        return crate::video::decode(input, &args.output, args.threads);
    }
    let reader = ContainerReader::new(input, quanta::Limits::default())?;
    let kind = match reader.header().media {
        MediaKind::Audio => Kind::Audio,
        MediaKind::Video => Kind::Video,
        MediaKind::Image => Kind::Picture,
    };
    applies::check(given, DECODE_OPTIONS, kind);
    if reader.header().media == MediaKind::Audio {
        let format = args.format.as_deref();
        return crate::audio::decode(reader, &args.output, format, args.threads, &args.audio);
    }
    let format = match &args.format {
        Some(name) => PictureFormat::from_name(name).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown picture format '{name}' (png, ppm, bmp, tiff, qoi)"
            ))
        })?,
        None if args.output == std::path::Path::new("-") => PictureFormat::Png,
        None => PictureFormat::from_path(&args.output).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "cannot tell the picture format from {} (use --format png|ppm|bmp|tiff|qoi)",
                args.output.display()
            ))
        })?,
    };
    let options = ImageDecodeOptions {
        threads: args.threads,
        ..ImageDecodeOptions::default()
    };
    let decoded = decode_picture_stream(reader, &options)?;
    let bytes = match &decoded.deep {
        Some(deep) => encode_deep_picture_file(deep, format).map_err(|_| {
            Error::InvalidArgument(format!(
                "the stream holds 16-bit samples, which {format:?} cannot keep (write png, \
                 tiff or ppm)"
            ))
        })?,
        None => encode_picture_file(&decoded.picture, format)?,
    };
    write_all(&Destination::from_arg(&args.output), &bytes)?;
    for d in &decoded.damage {
        eprintln!("quanta: warning: {d}");
    }
    if !decoded.concealed_tiles.is_empty() {
        eprintln!(
            "quanta: warning: {} of {} tiles were lost and filled with grey: {:?}",
            decoded.concealed_tiles.len(),
            decoded.tile_count,
            decoded.concealed_tiles
        );
    }
    if !decoded.complete && decoded.damage.is_empty() {
        eprintln!("quanta: warning: the stream has no end-of-stream packet (truncated)");
    }
    if decoded.damage.is_empty() && decoded.concealed_tiles.is_empty() && decoded.complete {
        Ok(Finish::Ok)
    } else {
        Ok(Finish::Damaged)
    }
}
