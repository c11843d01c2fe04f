//! `quanta encode`: a picture file in, a quanta stream out.

use std::path::PathBuf;
use std::time::Instant;

use clap::{ArgMatches, Args};
use quanta::codec::image::lossless::{
    encode_deep_picture_lossless, encode_picture_lossless, LosslessConfig,
};
use quanta::codec::image::target::encode_picture_to_target;
use quanta::codec::image::{encode_picture_with_progress, ChromaSampling, ImageEncoderConfig};
use quanta::codec::target::Target;
use quanta::media::image::{read_any_picture_bytes, read_picture_bytes, AnyPicture};
use quanta::transform::TransformId;
use quanta::{Error, Limits, Result};

use crate::applies::{self, Kind, ENCODE_OPTIONS};
use crate::output::{check_not_input, write_all, write_with, Destination};
use crate::{Chroma, Finish};

/// Quality of pictures and video when none is given.
const DEFAULT_QUALITY: u8 = 75;

#[derive(Args)]
pub struct EncodeArgs {
    /// Input picture, audio file or Y4M video ('-' for standard input).
    input: PathBuf,
    /// Output stream ('-' for standard output).
    #[arg(short, long)]
    output: PathBuf,
    /// Quality from 0 (smallest) to 100 (best); 75 for pictures and video; for audio, variable bitrate.
    #[arg(short, long, value_parser = clap::value_parser!(u8).range(0..=100))]
    quality: Option<u8>,
    /// Chroma sampling of colour pictures [default: 420; with --target-* on a colour
    /// picture, 420 or 444, whichever reaches the target in fewer bytes].
    #[arg(long, value_enum)]
    chroma: Option<Chroma>,
    /// Worker threads per stage (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Tile size in pixels (a multiple of 16); tiles are coded independently.
    #[arg(long, default_value_t = 512)]
    tile: u32,
    /// Block transform of pictures and video residuals (see `quanta transforms`).
    #[arg(long, default_value = "dct")]
    transform: String,
    /// Expert: visual weighting of the quantization matrices (0 flat .. 1 JPEG-like).
    #[arg(long)]
    weighting: Option<f64>,
    /// Expert: chroma step multiplier.
    #[arg(long)]
    chroma_scale: Option<f64>,
    /// Expert: activity-masking strength (0 = off).
    #[arg(long)]
    activity: Option<f64>,
    /// Expert: dead-zone rounding offset of AC levels (0 to 0.5).
    #[arg(long)]
    rounding: Option<f32>,
    /// Expert: rate-distortion Lagrange multiplier (0 = off).
    #[arg(long)]
    lambda: Option<f32>,
    /// Average bitrate in kbit/s, for audio (default 96 unless --quality is given) and video
    /// (replaces --quality). Pictures use --quality.
    #[arg(long)]
    bitrate: Option<f64>,
    /// Turn the deblocking filter off (pictures and video).
    #[arg(long)]
    no_deblock: bool,
    /// Pictures: turn the restoration filter (after deblocking) off.
    #[arg(long)]
    no_restore: bool,
    /// Picture encoding speed, 0 (slowest, smallest) to 3 (fastest); default 1.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=3))]
    speed: Option<u8>,
    /// Code a picture with the 8×8 tile syntax instead of the block coder, video keyframes
    /// with the macroblock syntax (implied by a transform other than dct, which exist only
    /// at 8×8).
    #[arg(long)]
    blocks_8x8: bool,
    /// Pictures: near-lossless coding, every decoded sample within ±N of the source
    /// (0 = lossless, as --lossless). Strips of --tile rows.
    #[arg(long, value_name = "N", conflicts_with = "quality",
          value_parser = clap::value_parser!(u8).range(0..=32))]
    max_error: Option<u8>,
    /// Encode at the fewest bytes whose decoded output reaches this PSNR (dB), found by
    /// encoding several times: pictures the RGB PSNR (gray: PSNR) of `quanta compare`,
    /// video its PSNR-YUV (6:1:1, mean over frames), audio its PSNR (with --tune psnr only).
    /// Reached within 0.1 dB above the target where the codec allows. Video and audio are read
    /// whole into memory first (video up to 1 GiB of frames, from a file or a pipe).
    #[arg(long, value_name = "DB",
          conflicts_with_all = ["quality", "bitrate", "lossless", "max_error", "target_ssim"])]
    target_psnr: Option<f64>,
    /// Encode at the fewest bytes whose decoded output reaches this SSIM (pictures and
    /// video: the mean SSIM of luma that `quanta compare` reports), by encoding several times.
    #[arg(long, value_name = "X",
          conflicts_with_all = ["quality", "bitrate", "lossless", "max_error"])]
    target_ssim: Option<f64>,
    /// Video and audio: code only frames (audio: samples per channel) START to
    /// START+COUNT-1 (fewer at the end of the input) as one closed stream: video starts
    /// with a keyframe, audio frames its edges with the real samples around it.
    /// `quanta concat` joins such segments into one stream.
    #[arg(long, value_name = "START:COUNT", value_parser = crate::video::parse_segment)]
    segment: Option<(u64, u64)>,
    #[command(flatten)]
    video: crate::video::VideoArgs,
    #[command(flatten)]
    audio: crate::audio::AudioEncodeArgs,
}

/// Encodes; `given` (the subcommand's matches) tells which options were on the command
/// line, so that one that does not apply to the input's kind is a usage error.
pub fn run(mut args: EncodeArgs, given: &ArgMatches) -> Result<Finish> {
    check_not_input(&args.input, &args.output)?;
    args.audio.bitrate = args.bitrate;
    args.audio.segment = args.segment;
    if crate::audio::is_audio_input(&args.input, &args.audio)? {
        applies::check(given, ENCODE_OPTIONS, Kind::Audio);
        let (q, t, target) = (args.quality, args.threads, target_of(&args));
        return crate::audio::encode(&args.input, &args.output, q, t, &args.audio, None, target);
    }
    let mut config = ImageEncoderConfig {
        quality: args.quality.unwrap_or(DEFAULT_QUALITY),
        sampling: match args.chroma {
            None | Some(Chroma::Yuv420) => ChromaSampling::Yuv420,
            Some(Chroma::Yuv444) => ChromaSampling::Yuv444,
        },
        threads: args.threads,
        tile_size: args.tile,
        transform: TransformId::from_name(&args.transform)?,
        ..ImageEncoderConfig::default()
    };
    let psnr_tune = matches!(args.audio.tune, crate::audio::Tune::Psnr);
    if psnr_tune {
        config.weighting = 0.0;
        config.activity_strength = 0.0;
    }
    if let Some(v) = args.weighting {
        config.weighting = v;
    }
    if let Some(v) = args.chroma_scale {
        config.chroma_scale = v;
    }
    if let Some(v) = args.activity {
        config.activity_strength = v;
    }
    if let Some(v) = args.rounding {
        config.ac_rounding = v;
    }
    if let Some(v) = args.lambda {
        config.lambda = v;
    }
    if args.no_deblock {
        config.deblock = false;
    }
    if args.no_restore {
        config.restore = false;
    }
    config.block_coder = config.transform == TransformId::Dct && !args.blocks_8x8;
    if !config.block_coder && args.weighting.is_none() && !psnr_tune {
        config.weighting = quanta::codec::image::WEIGHTING_8X8;
    }
    if let Some(speed) = args.speed {
        config.effort = quanta::codec::image::MAX_EFFORT - speed;
    }
    config.validate()?;
    let (bytes, kind) = match crate::video::open_input(&args.input)? {
        crate::video::Input::Y4m(r) => {
            applies::check(given, ENCODE_OPTIONS, Kind::Video);
            let (q, t) = (args.quality.unwrap_or(DEFAULT_QUALITY), args.threads);
            let target = target_of(&args);
            let mut video = args.video;
            video.no_deblock = args.no_deblock;
            video.blocks_8x8 = args.blocks_8x8;
            video.segment = args.segment;
            video.bitrate = match args.bitrate {
                Some(b) if b.is_finite() && b >= 1.0 && b <= u32::MAX as f64 => {
                    Some(b.round() as u32)
                }
                Some(b) => {
                    return Err(Error::InvalidArgument(format!(
                        "bitrate {b} kbit/s (expected at least 1)"
                    )))
                }
                None => None,
            };
            let transform = TransformId::from_name(&args.transform)?;
            if let Some(target) = target {
                let (input, output) = (&args.input, &args.output);
                return crate::video::encode_to_target(
                    r, input, output, t, transform, &video, target,
                );
            }
            return crate::video::encode(r, &args.input, &args.output, (q, t), transform, &video);
        }
        crate::video::Input::Bytes(bytes, kind) => (bytes, kind),
    };
    if kind == quanta::media::probe::Probed::Audio {
        applies::check(given, ENCODE_OPTIONS, Kind::Audio);
        let (q, t, target) = (args.quality, args.threads, target_of(&args));
        let audio = &args.audio;
        return crate::audio::encode(&args.input, &args.output, q, t, audio, Some(bytes), target);
    }
    applies::check(given, ENCODE_OPTIONS, Kind::Picture);
    let name = args.input.display().to_string();
    if args.audio.lossless || args.max_error.is_some() {
        let picture = read_any_picture_bytes(&bytes, &name, &Limits::default())?;
        return encode_lossless(&picture, &name, &args);
    }
    let picture = read_picture_bytes(&bytes, &name, &Limits::default())?;
    if let Some(target) = target_of(&args) {
        return encode_to_target(
            &picture,
            &name,
            &config,
            target,
            args.chroma.is_none(),
            &args,
        );
    }
    let start = Instant::now();
    // A bar only for long jobs on a terminal: pictures of more than about 8 megapixels.
    let bar = if crate::stderr_is_terminal() && picture.pixels() > 8_000_000 {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "encoding {bar:40} {pos}/{len} tiles, eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let outcome = write_with(&Destination::from_arg(&args.output), |out| {
        encode_picture_with_progress(&picture, &config, out, &mut progress)
    })?;
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let pixels = picture.pixels() as f64;
    eprintln!(
        "{}: {}x{} {} -> {} bytes, {:.3} bits/pixel, {:.1} MP/s",
        name,
        picture.width,
        picture.height,
        outcome.params.sampling.name(),
        outcome.bytes,
        outcome.bytes as f64 * 8.0 / pixels,
        pixels / seconds / 1e6
    );
    Ok(Finish::Ok)
}

/// The quality target asked for, if any.
pub fn target_of(args: &EncodeArgs) -> Option<Target> {
    match (args.target_psnr, args.target_ssim) {
        (Some(db), _) => Some(Target::Psnr(db)),
        (None, Some(s)) => Some(Target::Ssim(s)),
        (None, None) => None,
    }
}

/// The line every target encode prints: what was asked, what was reached, at what cost.
pub fn print_target(
    name: &str,
    target: Target,
    reached: f64,
    bytes: u64,
    passes: u32,
    seconds: f64,
) {
    eprintln!(
        "{name}: target {} {} -> reached {}, {bytes} bytes, {passes} passes, {seconds:.2} s",
        target.metric_name(),
        target.format(target.value()),
        target.format(reached),
    );
}

/// `--target-psnr` and `--target-ssim` for pictures.
fn encode_to_target(
    picture: &quanta::signal::Picture,
    name: &str,
    config: &ImageEncoderConfig,
    target: Target,
    auto_chroma: bool,
    args: &EncodeArgs,
) -> Result<Finish> {
    let start = Instant::now();
    let outcome = encode_picture_to_target(picture, config, target, auto_chroma)?;
    write_all(&Destination::from_arg(&args.output), &outcome.stream)?;
    let pixels = picture.pixels() as f64;
    eprintln!(
        "{name}: {}x{} {} step scale {:.4} -> {} bytes, {:.3} bits/pixel",
        picture.width,
        picture.height,
        outcome.params.sampling.name(),
        outcome.step_scale,
        outcome.stream.len(),
        outcome.stream.len() as f64 * 8.0 / pixels,
    );
    let seconds = start.elapsed().as_secs_f64();
    let bytes = outcome.stream.len() as u64;
    print_target(
        name,
        target,
        outcome.reached,
        bytes,
        outcome.passes(),
        seconds,
    );
    Ok(Finish::Ok)
}

/// `--lossless` and `--max-error N` for pictures.
fn encode_lossless(picture: &AnyPicture, name: &str, args: &EncodeArgs) -> Result<Finish> {
    let config = LosslessConfig {
        max_error: args.max_error.unwrap_or(0),
        strip_rows: args.tile,
        threads: args.threads,
        reconstruct: false,
    };
    let start = Instant::now();
    let outcome = write_with(&Destination::from_arg(&args.output), |out| match picture {
        AnyPicture::Eight(p) => encode_picture_lossless(p, &config, out, &mut |_, _| {}),
        AnyPicture::Sixteen(p) => encode_deep_picture_lossless(p, &config, out, &mut |_, _| {}),
    })?;
    let (width, height, mode) = match picture {
        AnyPicture::Eight(p) => (p.width, p.height, format!("max error {}", config.max_error)),
        AnyPicture::Sixteen(p) => (p.width, p.height, "16-bit lossless".to_string()),
    };
    let pixels = (width * height) as f64;
    eprintln!(
        "{name}: {width}x{height} {mode} -> {} bytes, {:.3} bits/pixel, {:.1} MP/s",
        outcome.bytes,
        outcome.bytes as f64 * 8.0 / pixels,
        pixels / start.elapsed().as_secs_f64() / 1e6
    );
    Ok(Finish::Ok)
}
