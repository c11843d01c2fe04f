//! The video side of the command line: Y4M detection, `encode` of Y4M input (streaming, from
//! a file or a pipe), `decode` of video streams to Y4M, and `compare` of two Y4M files.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

use clap::Args;
use quanta::codec::target::Target;
use quanta::codec::video::slice::Preset;
use quanta::codec::video::target::encode_video_to_target;
use quanta::codec::video::VideoParams;
use quanta::codec::video::{VideoEncoder, VideoEncoderConfig, VideoStreamDecoder};
use quanta::container::{MediaKind, StreamSummary};
use quanta::media::probe::{probe, probe_file, read_head, Probed, PROBE_BYTES};
use quanta::media::y4m::{Y4mReader, Y4mWriter};
use quanta::metrics::video::compare_videos;
use quanta::transform::TransformId;
use quanta::{Error, Limits, Result};

use crate::output::{Destination, PendingFile};
use crate::{db, Finish};

/// Options that only video input uses.
#[derive(Args, Clone, Debug)]
pub struct VideoArgs {
    /// Set from the shared `--bitrate` of `quanta encode` (kbit/s).
    #[arg(skip)]
    pub bitrate: Option<u32>,
    /// Video: constant quality on the quantizer-index scale, 0 (best) to 51 (smallest):
    /// inter frames at index N (a fractional N codes that share of frames one index
    /// coarser), keyframes --key-qp-offset indices finer, the rate-distortion multiplier
    /// following each frame's index. 24 is the default quality 60; 6 indices double the
    /// step. Replaces --quality and --bitrate.
    #[arg(long, value_name = "N", value_parser = parse_crf,
          conflicts_with_all = ["quality", "bitrate", "target_psnr", "target_ssim"])]
    crf: Option<f64>,
    /// Video: maximum rate (kbit/s) of the decoder buffer model that --vbv-bufsize sizes;
    /// frames are coded coarser where they would take more bits than it holds (any mode).
    #[arg(long, value_name = "KBPS", value_parser = parse_vbv, requires = "vbv_bufsize")]
    vbv_maxrate: Option<u32>,
    /// Video: size (kbit) of the decoder buffer model, which starts full and fills at
    /// --vbv-maxrate; at least one frame's worth.
    #[arg(long, value_name = "KBIT", value_parser = parse_vbv, requires = "vbv_maxrate")]
    vbv_bufsize: Option<u32>,
    /// Video: largest distance between keyframes, in frames (0 = scene cuts only).
    #[arg(long, default_value_t = 250)]
    keyint: u32,
    /// Video: speed against compression: faster, fast, medium, slow or slower (8×8
    /// partitions or not, how many inter candidates are coded for real, how many sub-sample
    /// refinement rings the motion search walks, how often intra is tried).
    #[arg(long, default_value = "medium", value_parser = ["faster", "fast", "medium", "slow", "slower"])]
    preset: String,
    /// Video: motion search range in samples.
    #[arg(long, default_value_t = 16)]
    search_range: i32,
    /// Set from the shared `--no-deblock` flag of `quanta encode`.
    #[arg(skip)]
    pub no_deblock: bool,
    /// Set from the shared `--blocks-8x8` flag of `quanta encode`: keyframes in the
    /// macroblock syntax.
    #[arg(skip)]
    pub blocks_8x8: bool,
    /// Video: no keyframes at scene cuts.
    #[arg(long)]
    no_scene_cut: bool,
    /// Video: frames the motion-estimation lookahead runs ahead of coding, on its own
    /// thread (0 = none: lowest latency; the output is the same).
    #[arg(long, default_value_t = 4)]
    lookahead: usize,
    /// Video expert: multiplier of the rate-distortion Lagrange multiplier.
    #[arg(long, default_value_t = 1.0, hide_short_help = true)]
    lambda_scale: f32,
    /// Video expert: dead-zone rounding of inter residual levels (0 to 0.5).
    #[arg(long, default_value_t = 0.25, hide_short_help = true)]
    inter_rounding: f32,
    /// Video expert: keyframes are coded this many quantizer indices finer than inter
    /// frames (6 halve the step).
    #[arg(long, default_value_t = quanta::codec::video::rate::KEY_QP_OFFSET, hide_short_help = true)]
    key_qp_offset: u8,
    /// Video: reference frames an inter frame may predict from, 1 to 4 (the frames coded
    /// last since the keyframe, the last place kept for the finest of the older ones; each
    /// inter macroblock names its own).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=4))]
    refs: u8,
    /// Video: most B-frames in a row, 0 to 7 (0 = none: every frame is coded on arrival,
    /// the low-delay stream). A B-frame is predicted from the frames shown before and
    /// after it and coded after the later one; decoders hold up to this many frames.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=7))]
    bframes: u8,
    /// Video expert: B-frames are coded this many quantizer indices coarser than the
    /// frames around them.
    #[arg(long, default_value_t = quanta::codec::video::rate::B_QP_OFFSET, value_parser = clap::value_parser!(u8).range(0..=24), hide_short_help = true)]
    b_qp_offset: u8,
    /// Video expert: the reference list keeps the newest frames only (by default its last
    /// place keeps the finer of the frames competing for it).
    #[arg(long, hide_short_help = true)]
    newest_refs: bool,
    /// Video expert: no inter macroblocks cut into 16×8 or 8×16 halves.
    #[arg(long, hide_short_help = true)]
    no_halves: bool,
    /// Video: strength of the macroblock quantizer offsets, 0 to 4 (0 = off: one index per
    /// frame). Content that stays from frame to frame, which later frames predict from,
    /// gets finer steps and moving or new content coarser ones, around the frame's index.
    #[arg(long, default_value_t = 1.0, value_parser = parse_mb_qp_strength)]
    mb_qp_strength: f32,
    /// Video expert: every inter frame at the mode's quantizer index, instead of the
    /// default period of 8 in which every eighth frame is 4 indices finer and the others
    /// at it or one coarser.
    #[arg(long, hide_short_help = true)]
    flat_qp: bool,
    /// Set from the shared `--segment` of `quanta encode` (start and length in frames).
    #[arg(skip)]
    pub segment: Option<(u64, u64)>,
}

/// Parses a `--crf` value: a number from 0 to 51.
fn parse_crf(text: &str) -> std::result::Result<f64, String> {
    let max = quanta::codec::video::rate::MAX_QP as f64;
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => Ok(v),
        _ => Err(format!("'{text}' is not a quantizer index from 0 to {max}")),
    }
}

/// Parses a `--vbv-maxrate` (kbit/s) or `--vbv-bufsize` (kbit) value: a whole number from
/// 1 up.
fn parse_vbv(text: &str) -> std::result::Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!("'{text}' is not a whole number of at least 1")),
    }
}

/// Parses `START:COUNT` (both whole numbers, COUNT at least 1).
pub fn parse_segment(text: &str) -> std::result::Result<(u64, u64), String> {
    let (start, count) = text
        .split_once(':')
        .ok_or_else(|| format!("'{text}' is not START:COUNT"))?;
    let start: u64 = start
        .trim()
        .parse()
        .map_err(|_| format!("segment start '{start}' is not a whole number"))?;
    let count: u64 = count
        .trim()
        .parse()
        .map_err(|_| format!("segment length '{count}' is not a whole number"))?;
    if count == 0 {
        return Err("a segment holds at least one frame".into());
    }
    Ok((start, count))
}

/// The frames of a Y4M reader, limited to a segment `(start, count)` when one is given:
/// the frames before `start` are read and dropped, reading stops after `count` frames.
struct SegmentFrames<'a, R: Read> {
    reader: &'a mut Y4mReader<R>,
    segment: Option<(u64, u64)>,
    given: u64,
    name: String,
}

impl<'a, R: Read> SegmentFrames<'a, R> {
    fn new(reader: &'a mut Y4mReader<R>, segment: Option<(u64, u64)>, name: &str) -> Self {
        SegmentFrames {
            reader,
            segment,
            given: 0,
            name: name.to_string(),
        }
    }

    fn next_frame(&mut self) -> Result<Option<quanta::media::y4m::YuvFrame>> {
        let Some((start, count)) = self.segment else {
            return self.reader.next_frame();
        };
        if self.given >= count {
            return Ok(None);
        }
        while self.reader.frames_read() < start {
            if self.reader.next_frame()?.is_none() {
                return Err(Error::InvalidArgument(format!(
                    "{}: the segment starts at frame {start}, but the input holds only {} frames",
                    self.name,
                    self.reader.frames_read()
                )));
            }
        }
        let frame = self.reader.next_frame()?;
        if frame.is_none() && self.given == 0 {
            return Err(Error::InvalidArgument(format!(
                "{}: the segment starts at frame {start}, but the input holds only {} frames",
                self.name,
                self.reader.frames_read()
            )));
        }
        self.given += frame.is_some() as u64;
        Ok(frame)
    }
}

/// An input opened and probed: a Y4M stream (with its first bytes put back) or the bytes
/// of anything else with what [`probe`] made of them.
pub enum Input {
    Y4m(Box<dyn Read + Send>),
    Bytes(Vec<u8>, Probed),
}

fn open(path: &Path) -> Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            std::io::stdin(),
        )))
    } else {
        let file = std::fs::File::open(path).map_err(|e| Error::io_path("open", path, e))?;
        Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
    }
}

/// Reads up to `n` bytes from the start of `r`.
fn peek(r: &mut dyn Read, n: usize, path: &Path) -> Result<Vec<u8>> {
    read_head(r, n).map_err(|e| Error::io_path("read", path, e))
}

/// Opens an input and tells Y4M from the rest by its first bytes ([`probe`]).
pub fn open_input(path: &Path) -> Result<Input> {
    let mut r = open(path)?;
    let head = peek(&mut r, PROBE_BYTES, path)?;
    let kind = probe(&head);
    if kind == Probed::Y4m {
        return Ok(Input::Y4m(Box::new(std::io::Cursor::new(head).chain(r))));
    }
    let mut bytes = head;
    r.read_to_end(&mut bytes)
        .map_err(|e| Error::io_path("read", path, e))?;
    Ok(Input::Bytes(bytes, kind))
}

fn name_of(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

/// Encodes a Y4M stream.
pub fn encode(
    input: Box<dyn Read + Send>,
    input_path: &Path,
    output: &Path,
    (quality, threads): (u8, usize),
    transform: TransformId,
    args: &VideoArgs,
) -> Result<Finish> {
    let name = name_of(input_path);
    let mut reader = Y4mReader::new(input, &name, &Limits::default())?;
    let config = encoder_config((quality, threads), transform, args)?;
    let start = Instant::now();
    let header = reader.header().clone();
    check_vbv(args, &header);
    let summary = match Destination::from_arg(output) {
        Destination::Stdout => {
            let out = BufWriter::new(std::io::stdout().lock());
            let (mut out, summary) =
                run_encoder(&mut reader, out, &header, &config, (args, &name))?;
            out.flush()
                .map_err(|e| Error::io("cannot write to standard output", e))?;
            summary
        }
        Destination::File(path) => {
            let pending = PendingFile::create(&path)?;
            let (pending, summary) =
                run_encoder(&mut reader, pending, &header, &config, (args, &name))?;
            pending.commit()?;
            summary
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let duration = summary.frames as f64 * summary.params.frame_seconds();
    let kbps = if duration > 0.0 {
        summary.bytes as f64 * 8.0 / duration / 1000.0
    } else {
        0.0
    };
    eprintln!(
        "{name}: {}x{} {} {} frames ({} keyframes) -> {} bytes, {:.1} kbit/s, {:.1} frames/s",
        header.width,
        header.height,
        header.chroma.tag(),
        summary.frames,
        summary.keyframes,
        summary.bytes,
        kbps,
        summary.frames as f64 / seconds.max(1e-9)
    );
    Ok(Finish::Ok)
}

/// A usage error (exit status 2) when the VBV buffer holds less than one frame at its rate
/// for this clip's frame rate.
fn check_vbv(args: &VideoArgs, header: &quanta::media::y4m::Y4mHeader) {
    if let Some((maxrate, bufsize)) = args.vbv_maxrate.zip(args.vbv_bufsize) {
        let (num, den) = header.frame_rate;
        let seconds = den as f64 / num.max(1) as f64;
        if let Err(e) = quanta::codec::video::rate::Vbv::new(maxrate, bufsize, seconds) {
            let message = format!("{e} (--vbv-bufsize, --vbv-maxrate)\n");
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, message).exit();
        }
    }
}

/// The encoder settings of the command line.
fn encoder_config(
    (quality, threads): (u8, usize),
    transform: TransformId,
    args: &VideoArgs,
) -> Result<VideoEncoderConfig> {
    let preset = Preset::from_name(&args.preset)
        .ok_or_else(|| Error::InvalidArgument(format!("unknown preset {:?}", args.preset)))?;
    Ok(VideoEncoderConfig {
        quality,
        bitrate_kbps: args.bitrate,
        fine_qp: args.crf,
        vbv: args.vbv_maxrate.zip(args.vbv_bufsize),
        transform,
        keyint: args.keyint,
        scene_cut: !args.no_scene_cut,
        lookahead: args.lookahead,
        key_qp_offset: args.key_qp_offset,
        qp_pattern: !args.flat_qp,
        refs: args.refs,
        bframes: args.bframes,
        b_qp_offset: args.b_qp_offset,
        halves: !args.no_halves,
        finest_ref: !args.newest_refs,
        mb_qp: args.mb_qp_strength > 0.0,
        deblock: !args.no_deblock,
        block_keyframes: !args.blocks_8x8,
        block_residuals: !args.blocks_8x8,
        threads,
        tuning: quanta::codec::video::slice::Tuning {
            search_range: args.search_range,
            lambda_scale: args.lambda_scale,
            inter_rounding: args.inter_rounding,
            mb_qp_strength: args.mb_qp_strength,
            ..preset.tuning()
        },
        ..VideoEncoderConfig::default()
    })
}

/// Most bytes of decoded frames `--target-*` holds in memory (the search encodes the clip
/// several times, so a pipe is read once into memory; files too, the same way).
pub const TARGET_BUFFER_BYTES: usize = 1 << 30;

/// `--target-psnr` / `--target-ssim` for a Y4M stream: the whole clip is read into memory
/// (up to [`TARGET_BUFFER_BYTES`]), searched, and the chosen stream written.
pub fn encode_to_target(
    input: Box<dyn Read + Send>,
    input_path: &Path,
    output: &Path,
    threads: usize,
    transform: TransformId,
    args: &VideoArgs,
    target: Target,
) -> Result<Finish> {
    let name = name_of(input_path);
    let mut reader = Y4mReader::new(input, &name, &Limits::default())?;
    let config = encoder_config((0, threads), transform, args)?;
    let start = Instant::now();
    let header = reader.header().clone();
    check_vbv(args, &header);
    let mut frames = Vec::new();
    let mut held = 0usize;
    let mut source = SegmentFrames::new(&mut reader, args.segment, &name);
    while let Some(frame) = source.next_frame()? {
        held += frame.planes.iter().map(|p| p.data.len()).sum::<usize>();
        if held > TARGET_BUFFER_BYTES {
            return Err(Error::InvalidArgument(format!(
                "{name}: a target-quality encode holds the whole clip in memory and this one is \
                 larger than {} MiB after {} frames; use --quality or --bitrate",
                TARGET_BUFFER_BYTES >> 20,
                frames.len()
            )));
        }
        frames.push(frame);
    }
    let outcome = encode_video_to_target(&header, &frames, &config, target)?;
    crate::output::write_all(&Destination::from_arg(output), &outcome.stream)?;
    let seconds = start.elapsed().as_secs_f64();
    let summary = &outcome.summary;
    let duration = summary.frames as f64 * summary.params.frame_seconds();
    eprintln!(
        "{name}: {}x{} {} {} frames ({} keyframes), quantizer {:.3} -> {} bytes, {:.1} kbit/s",
        header.width,
        header.height,
        header.chroma.tag(),
        summary.frames,
        summary.keyframes,
        outcome.qp,
        outcome.stream.len(),
        outcome.stream.len() as f64 * 8.0 / duration.max(1e-9) / 1000.0,
    );
    let bytes = outcome.stream.len() as u64;
    crate::encode::print_target(
        &name,
        target,
        outcome.reached,
        bytes,
        outcome.passes(),
        seconds,
    );
    Ok(Finish::Ok)
}

fn run_encoder<R: Read + Send, W: Write>(
    reader: &mut Y4mReader<R>,
    out: W,
    header: &quanta::media::y4m::Y4mHeader,
    config: &VideoEncoderConfig,
    (args, name): (&VideoArgs, &str),
) -> Result<(W, quanta::codec::video::VideoSummary)> {
    let mut frames = SegmentFrames::new(reader, args.segment, name);
    let mut encoder = VideoEncoder::new(out, header, config)?;
    encoder.encode_stream(|| frames.next_frame())?;
    encoder.finish()
}

/// Opens a stream and reads the media kind its header names ([`probe`]), putting the bytes
/// back; `None` when the input is not a quanta stream (the container reader says why).
pub fn open_stream(path: &Path) -> Result<(Box<dyn Read + Send>, Option<MediaKind>)> {
    let mut r = open(path)?;
    let head = peek(&mut r, PROBE_BYTES, path)?;
    let kind = match probe(&head) {
        Probed::Stream(media) => media,
        _ => None,
    };
    Ok((Box::new(std::io::Cursor::new(head).chain(r)), kind))
}

/// Decodes a video stream to Y4M (a file or standard output).
pub fn decode(input: Box<dyn Read + Send>, output: &Path, threads: usize) -> Result<Finish> {
    let mut decoder = VideoStreamDecoder::new(input, Limits::default(), threads)?;
    let header = decoder.params().y4m_header();
    let concealed = match Destination::from_arg(output) {
        Destination::Stdout => {
            let out = BufWriter::new(std::io::stdout().lock());
            let (out, concealed) = run_decoder(&mut decoder, out, header)?;
            drop(out);
            concealed
        }
        Destination::File(path) => {
            let pending = PendingFile::create(&path)?;
            let (pending, concealed) = run_decoder(&mut decoder, pending, header)?;
            pending.commit()?;
            concealed
        }
    };
    for d in decoder.damage() {
        eprintln!("quanta: warning: {d}");
    }
    if concealed > 0 {
        eprintln!("quanta: warning: {concealed} frames were concealed (last good frame repeated)");
    }
    if !decoder.is_complete() && decoder.damage().is_empty() {
        eprintln!("quanta: warning: the stream has no end-of-stream packet (truncated)");
    }
    if concealed == 0 && decoder.damage().is_empty() && decoder.is_complete() {
        Ok(Finish::Ok)
    } else {
        Ok(Finish::Damaged)
    }
}

fn run_decoder<R: Read, W: Write>(
    decoder: &mut VideoStreamDecoder<R>,
    out: W,
    header: quanta::media::y4m::Y4mHeader,
) -> Result<(W, u64)> {
    let mut writer = Y4mWriter::new(out, header)?;
    let mut concealed = 0;
    while let Some(f) = decoder.next_frame()? {
        concealed += f.concealed as u64;
        writer.write_frame(&f.frame)?;
    }
    Ok((writer.finish()?, concealed))
}

/// True when the file starts with the Y4M signature.
pub fn is_y4m_file(path: &Path) -> bool {
    probe_file(path).is_ok_and(|kind| kind == Probed::Y4m)
}

/// `quanta compare` of two Y4M videos.
pub fn compare(reference: &Path, distorted: &Path, json: bool) -> Result<Finish> {
    let limits = Limits::default();
    let mut a = Y4mReader::new(open(reference)?, &name_of(reference), &limits)?;
    let mut b = Y4mReader::new(open(distorted)?, &name_of(distorted), &limits)?;
    let c = compare_videos(&mut a, &mut b)?;
    if json {
        let value = serde_json::json!({
            "frames": c.frames,
            "psnr_y": c.psnr_y,
            "psnr_cb": c.psnr_cb,
            "psnr_cr": c.psnr_cr,
            "psnr_yuv_611": c.psnr_yuv,
            "ssim_y": if c.ssim_y.is_finite() { Some(c.ssim_y) } else { None },
        });
        println!("{value}");
    } else {
        println!("frames      {}", c.frames);
        println!("PSNR Y      {} dB", db(c.psnr_y));
        if let (Some(cb), Some(cr)) = (c.psnr_cb, c.psnr_cr) {
            println!("PSNR Cb     {} dB", db(cb));
            println!("PSNR Cr     {} dB", db(cr));
        }
        println!("PSNR YUV    {} dB  (6:1:1)", db(c.psnr_yuv));
        println!("SSIM Y      {:.5}", c.ssim_y);
    }
    Ok(Finish::Ok)
}

fn video_params(summary: &StreamSummary) -> Option<Result<VideoParams>> {
    (summary.header.media == MediaKind::Video)
        .then(|| VideoParams::from_bytes(&summary.header.params, &Limits::default()))
}

fn kbps(summary: &StreamSummary, p: &VideoParams) -> f64 {
    let seconds = summary.packets as f64 * p.frame_seconds();
    if seconds > 0.0 {
        summary.total_bytes as f64 * 8.0 / seconds / 1000.0
    } else {
        0.0
    }
}

/// The video lines of `quanta info` (nothing for other media).
pub fn print_info(summary: &StreamSummary) {
    match video_params(summary) {
        Some(Ok(p)) => {
            println!("video       {}x{} {}", p.width, p.height, p.chroma.tag());
            println!(
                "frame rate  {}:{} ({:.3} frames/s), aspect {}:{}",
                p.frame_rate.0,
                p.frame_rate.1,
                1.0 / p.frame_seconds(),
                p.aspect.0,
                p.aspect.1
            );
            println!(
                "coding      keyint {}, {} slices per frame, deblocking {}, {}",
                p.keyint,
                p.slice_count(),
                if p.flags & 1 != 0 { "on" } else { "off" },
                if p.bitrate_kbps > 0 {
                    format!("target {} kbit/s", p.bitrate_kbps)
                } else {
                    format!("quality {}", p.quality)
                }
            );
            println!("tools       {}", coding_tools(&p).join(", "));
            println!("rate        {:.1} kbit/s", kbps(summary, &p));
        }
        Some(Err(e)) => println!("video       bad parameters: {e}"),
        None => {}
    }
}

/// The coding tools the stream's header names: keyframe and residual syntax, halves,
/// references.
fn coding_tools(p: &quanta::codec::video::params::VideoParams) -> Vec<String> {
    use quanta::codec::video::params::{
        FLAG_BLOCK_KEYFRAMES, FLAG_BLOCK_RESIDUALS, FLAG_FINEST_REF, FLAG_HALVES, FLAG_MB_QP,
    };
    let mut tools = Vec::new();
    if p.flags & FLAG_BLOCK_KEYFRAMES != 0 {
        tools.push("block-coded keyframes".to_string());
    }
    if p.flags & FLAG_BLOCK_RESIDUALS != 0 {
        tools.push("block-coded residuals".to_string());
    }
    if p.flags & FLAG_HALVES != 0 {
        tools.push("halves".to_string());
    }
    if p.flags & FLAG_MB_QP != 0 {
        tools.push("macroblock quantizer changes".to_string());
    }
    let finest = if p.flags & FLAG_FINEST_REF != 0 && p.refs > 1 {
        ", the last the finest"
    } else {
        ""
    };
    tools.push(format!("{} reference(s){finest}", p.refs));
    if p.bframes > 0 {
        tools.push(format!("up to {} B-frame(s) in a row", p.bframes));
    }
    tools
}

/// The "video" object of `quanta info --json`.
pub fn info_json(summary: &StreamSummary) -> Option<serde_json::Value> {
    match video_params(summary)? {
        Ok(p) => Some(serde_json::json!({
            "width": p.width,
            "height": p.height,
            "chroma": p.chroma.tag(),
            "frame_rate": [p.frame_rate.0, p.frame_rate.1],
            "aspect": [p.aspect.0, p.aspect.1],
            "keyint": p.keyint,
            "slices": p.slice_count(),
            "deblock": p.flags & 1 != 0,
            "references": p.refs,
            "bframes": p.bframes,
            "tools": coding_tools(&p),
            "quality": p.quality,
            "bitrate_kbps_target": p.bitrate_kbps,
            "kbps": kbps(summary, &p),
        })),
        Err(e) => Some(serde_json::json!({ "error": e.to_string() })),
    }
}

/// `--mb-qp-strength`: a number from 0 to 4.
fn parse_mb_qp_strength(text: &str) -> std::result::Result<f32, String> {
    let value: f32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=4.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not in 0 to 4"))
    }
}
