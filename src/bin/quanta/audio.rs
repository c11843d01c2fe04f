//! Audio on the command line: the audio options of `encode` and `decode`, input detection,
//! and the audio branches of `encode`, `decode`, `compare` and `info`.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use clap::{Args, ValueEnum};
use quanta::codec::audio::target::{encode_audio_to_target, AudioTargetOutcome};
use quanta::codec::audio::{
    audio_params, decode_audio_stream, encode_audio, encode_audio_segment, AudioDecodeOptions,
    AudioEncodeOutcome, AudioEncoderConfig, AudioParams, AudioTransform, AudioTune, RateMode,
};
use quanta::codec::target::Target;
use quanta::container::ContainerReader;
use quanta::media::audio::{
    read_audio_file, write_pcm, AudioSource, PcmFormat, RawPcmSource, SymphoniaSource, WavBits,
    WavSink,
};
use quanta::media::probe::{probe_file, Probed};
use quanta::metrics::audio::{audio_psnr, segmental_snr, snr};
use quanta::{Error, Limits, Result};

use crate::output::{Destination, PendingFile};
use crate::{db, Finish};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Tune {
    /// Noise under the psychoacoustic (pictures: visual) masking threshold.
    Perceptual,
    /// Equal steps in every band (pictures: every frequency and area): the most SNR for
    /// the rate.
    Psnr,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RawFormat {
    S16le,
    S24le,
    F32le,
}

/// Audio options of `quanta encode`.
#[derive(Args, Debug)]
pub struct AudioEncodeArgs {
    /// Set from the shared `--bitrate` of `quanta encode` (kbit/s).
    #[arg(skip)]
    pub bitrate: Option<f64>,
    /// Set from the shared `--segment` of `quanta encode` (start and length in samples).
    #[arg(skip)]
    pub segment: Option<(u64, u64)>,
    /// Audio: noise shaping. Pictures: perceptual weights the quantizer steps by
    /// frequency and masks busy areas (activity); psnr keeps every step flat.
    #[arg(long, value_enum, default_value = "perceptual")]
    pub tune: Tune,
    /// Audio: raw PCM input of this sample format (needs --rate and --channels).
    #[arg(long, value_enum)]
    input_format: Option<RawFormat>,
    /// Audio: sample rate of raw PCM input, in Hz.
    #[arg(long)]
    rate: Option<u32>,
    /// Audio: channels of raw PCM input.
    #[arg(long)]
    channels: Option<usize>,
    /// Audio: MDCT frame size (256, 512, 1024, 2048) [default: 512; 1024 with --tune psnr,
    /// --lossless, or a bitrate below 8 kbit/s per channel].
    #[arg(long)]
    frame: Option<usize>,
    /// Audio, expert: how far the perceptual noise follows the masking threshold (0 to 1)
    /// [default: 0; 0.5 at 16 kHz and below].
    #[arg(long)]
    masking: Option<f32>,
    /// Audio: code every frame as one long block (no short blocks on transients).
    #[arg(long)]
    no_block_switching: bool,
    /// Audio, expert: transient detector threshold, the energy ratio of a sub-block over the
    /// recent past that counts as an attack (default 5; 12 at 16 kHz and below).
    #[arg(long)]
    transient_threshold: Option<f32>,
    /// Audio, expert: with --bitrate, how far each packet's bits follow its demand (the bits
    /// it costs at the running quality) within a 2-second reservoir: 0 (default) equal
    /// shares, 1 constant quality.
    #[arg(long)]
    demand: Option<f32>,
    /// Audio: lossless coding of 16-bit or 24-bit PCM (integer MDCT, no quantization, long
    /// frames only); decodes bit for bit, at the input's depth.
    #[arg(
        long,
        conflicts_with_all = [
            "bitrate",
            "quality",
            "masking",
            "tune",
            "no_block_switching",
            "transient_threshold",
            "demand",
        ]
    )]
    pub lossless: bool,
}

/// Audio options of `quanta decode`.
#[derive(Args, Debug)]
pub struct AudioDecodeArgs {
    /// Audio: WAV sample format (16, 24 or 32f); by default the depth of a lossless
    /// stream (16 or 24), else 16.
    #[arg(long)]
    bits: Option<String>,
}

/// True when `encode` should take the audio path: raw PCM asked for, or audio bytes.
pub fn is_audio_input(input: &Path, args: &AudioEncodeArgs) -> Result<bool> {
    if args.input_format.is_some() {
        return Ok(true);
    }
    if input == Path::new("-") {
        return Ok(false);
    }
    // An input that cannot be opened or read is left to the picture path, which reports it.
    Ok(probe_file(input).is_ok_and(|kind| kind == Probed::Audio))
}

/// Encodes audio from `input` (a file, or '-' with raw PCM or sniffed audio bytes).
pub fn encode(
    input: &Path,
    output: &Path,
    quality: Option<u8>,
    threads: usize,
    args: &AudioEncodeArgs,
    stdin_bytes: Option<Vec<u8>>,
    target: Option<Target>,
) -> Result<Finish> {
    if let Some(target) = target {
        check_target(target, args);
        if args.segment.is_some() {
            return Err(Error::InvalidArgument(
                "--segment and --target-psnr cannot be combined for audio".into(),
            ));
        }
    }
    let tune = match args.tune {
        Tune::Perceptual => AudioTune::Perceptual,
        Tune::Psnr => AudioTune::Psnr,
    };
    let config = AudioEncoderConfig {
        rate: match (args.lossless, args.bitrate, quality) {
            (true, _, _) => RateMode::Lossless,
            (false, Some(k), _) => RateMode::Bitrate(k),
            (false, None, Some(q)) => RateMode::Quality(q),
            (false, None, None) => RateMode::Bitrate(96.0),
        },
        frame_size: args.frame.unwrap_or(0),
        threads,
        ..AudioEncoderConfig::for_tune(tune)
    };
    let config = AudioEncoderConfig {
        masking: args.masking.or(config.masking),
        block_switching: !args.no_block_switching,
        transient_threshold: args.transient_threshold.or(config.transient_threshold),
        demand: args.demand.unwrap_or(config.demand),
        ..config
    };
    config.validate()?;
    let name = input.display().to_string();
    let start = Instant::now();
    let outcome = match args.input_format {
        Some(format) => {
            let (rate, channels) = match (args.rate, args.channels) {
                (Some(r), Some(c)) => (r, c),
                _ => {
                    return Err(Error::InvalidArgument(
                        "raw PCM input needs --rate and --channels".into(),
                    ))
                }
            };
            let format = match format {
                RawFormat::S16le => PcmFormat::S16le,
                RawFormat::S24le => PcmFormat::S24le,
                RawFormat::F32le => PcmFormat::F32le,
            };
            if input == Path::new("-") {
                let source = RawPcmSource::new(std::io::stdin(), format, rate, channels)?;
                run(source, (&config, args.segment), output, target)?
            } else {
                let file =
                    std::fs::File::open(input).map_err(|e| Error::io_path("open", input, e))?;
                let source =
                    RawPcmSource::new(std::io::BufReader::new(file), format, rate, channels)?;
                run(source, (&config, args.segment), output, target)?
            }
        }
        None => match stdin_bytes {
            Some(bytes) => run(
                SymphoniaSource::from_bytes(bytes, &name)?,
                (&config, args.segment),
                output,
                target,
            )?,
            None => run(
                SymphoniaSource::open(input)?,
                (&config, args.segment),
                output,
                target,
            )?,
        },
    };
    let (outcome, searched) = match outcome {
        Encoded::Plain(outcome) => (outcome, None),
        Encoded::Target(t) => {
            let bytes = t.stream.len() as u64;
            let line = (t.reached, bytes, t.passes(), t.offset);
            (t.outcome, Some(line))
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let p = &outcome.params;
    let duration = outcome.samples as f64 / p.sample_rate as f64;
    // Lossless: the size against PCM of the stream's depth; lossy: how many frames went
    // short.
    let (ratio, shorts) = if args.lossless {
        let pcm = (outcome.samples * p.channels as u64 * p.bits as u64 / 8).max(1);
        let share = 100.0 * outcome.bytes as f64 / pcm as f64;
        (
            format!(", {share:.2}% of {}-bit PCM", p.bits),
            String::new(),
        )
    } else {
        let shorts = format!(
            ", {} of {} frames short",
            outcome.short_frames, outcome.frames
        );
        (String::new(), shorts)
    };
    eprintln!(
        "{name}: {} Hz, {} ch, {:.2} s -> {} bytes, {:.1} kbit/s{ratio}, {:.0}x realtime{shorts}",
        p.sample_rate,
        p.channels,
        duration,
        outcome.bytes,
        outcome.bytes as f64 * 8.0 / duration.max(1e-9) / 1000.0,
        duration / seconds.max(1e-9),
    );
    if let (Some((reached, bytes, passes, offset)), Some(target)) = (searched, target) {
        eprintln!("{name}: step offset {offset:.3}");
        crate::encode::print_target(&name, target, reached, bytes, passes, seconds);
    }
    Ok(Finish::Ok)
}

/// A usage error (exit status 2) unless the target suits audio: a PSNR, with --tune psnr.
fn check_target(target: Target, args: &AudioEncodeArgs) {
    let problem = match (target, args.tune) {
        (Target::Ssim(_), _) => Some("--target-ssim applies to pictures and video, not to audio"),
        (Target::Psnr(_), Tune::Perceptual) => {
            Some("--target-psnr for audio needs --tune psnr (the perceptual tune shapes its noise for the ear, not for PSNR)")
        }
        (Target::Psnr(_), Tune::Psnr) => None,
    };
    if let Some(text) = problem {
        clap::Error::raw(
            clap::error::ErrorKind::ArgumentConflict,
            format!("{text}\n"),
        )
        .exit();
    }
}

/// What an audio encode made: a plain encode, or a target search.
enum Encoded {
    Plain(AudioEncodeOutcome),
    Target(AudioTargetOutcome),
}

/// Encodes a source plainly, or to a target (reading it whole into memory first).
fn run<S: AudioSource>(
    mut source: S,
    (config, segment): (&AudioEncoderConfig, Option<(u64, u64)>),
    output: &Path,
    target: Option<Target>,
) -> Result<Encoded> {
    let Some(target) = target else {
        return run_encode(source, config, output, segment).map(Encoded::Plain);
    };
    let (rate, channels) = (source.sample_rate(), source.channels());
    let mut samples = Vec::new();
    while source.read_frames(&mut samples, 1 << 16)? > 0 {}
    let outcome = encode_audio_to_target(rate, channels, &samples, config, target)?;
    crate::output::write_all(&Destination::from_arg(output), &outcome.stream)?;
    Ok(Encoded::Target(outcome))
}

fn run_encode<S: AudioSource>(
    source: S,
    config: &AudioEncoderConfig,
    output: &Path,
    segment: Option<(u64, u64)>,
) -> Result<AudioEncodeOutcome> {
    let encode = |source: S, out: &mut dyn Write| match segment {
        Some(span) => encode_audio_segment(source, config, out, span),
        None => encode_audio(source, config, out),
    };
    match Destination::from_arg(output) {
        Destination::Stdout => {
            let stdout = std::io::stdout().lock();
            let outcome = encode(source, &mut std::io::BufWriter::new(stdout))?;
            std::io::stdout()
                .flush()
                .map_err(|e| Error::io("cannot write to standard output", e))?;
            Ok(outcome)
        }
        Destination::File(path) => {
            let mut pending = PendingFile::create(&path)?;
            let outcome = encode(source, &mut pending)?;
            pending.commit()?;
            Ok(outcome)
        }
    }
}

/// Decodes an audio stream whose header is read to WAV (or raw PCM with --format).
pub fn decode<R: Read + Send>(
    reader: ContainerReader<R>,
    output: &Path,
    format: Option<&str>,
    threads: usize,
    args: &AudioDecodeArgs,
) -> Result<Finish> {
    let options = AudioDecodeOptions {
        threads,
        limits: Limits::default(),
    };
    let params = audio_params(reader.header(), &options.limits)?;
    let raw = match format {
        None | Some("wav") => None,
        Some(name) => Some(PcmFormat::from_name(name).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown audio output format '{name}' (wav, s16le, s24le, f32le)"
            ))
        })?),
    };
    // A lossless stream's own depth unless asked otherwise (lossy streams read as 16).
    let bits = match args.bits.as_deref() {
        None if params.bits > 16 => WavBits::Int24,
        None | Some("16") => WavBits::Int16,
        Some("24") => WavBits::Int24,
        Some("32f") => WavBits::Float32,
        Some(other) => {
            return Err(Error::InvalidArgument(format!(
                "--bits {other} (expected 16, 24 or 32f)"
            )))
        }
    };
    let narrowed = match raw {
        Some(format) => format == PcmFormat::S16le,
        None => bits == WavBits::Int16,
    };
    if params.transform == AudioTransform::IntMdct && params.bits > 16 && narrowed {
        eprintln!(
            "quanta: warning: the stream holds {}-bit PCM; 16-bit output rounds it",
            params.bits
        );
    }
    let report = match (Destination::from_arg(output), raw) {
        (Destination::Stdout, Some(format)) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let report = decode_audio_stream(reader, &options, |s| write_pcm(&mut out, s, format))?;
            out.flush()
                .map_err(|e| Error::io("cannot write to standard output", e))?;
            report
        }
        (Destination::Stdout, None) => {
            return Err(Error::InvalidArgument(
                "WAV output needs a file; use --format s16le, s24le or f32le for standard output"
                    .into(),
            ))
        }
        (Destination::File(path), raw) => {
            let mut pending = PendingFile::create(&path)?;
            let report = match raw {
                Some(format) => {
                    decode_audio_stream(reader, &options, |s| write_pcm(&mut pending, s, format))?
                }
                None => {
                    let mut wav = WavSink::new(
                        &mut pending,
                        params.sample_rate,
                        params.channels as u16,
                        bits,
                    )?;
                    let report = decode_audio_stream(reader, &options, |s| wav.write(s))?;
                    wav.finalize()?;
                    report
                }
            };
            pending.commit()?;
            report
        }
    };
    for d in &report.damage {
        eprintln!("quanta: warning: {d}");
    }
    if report.concealed_frames > 0 {
        eprintln!(
            "quanta: warning: {} frames were lost and replaced by silence",
            report.concealed_frames
        );
    }
    if !report.complete && report.damage.is_empty() {
        eprintln!("quanta: warning: the stream has no end-of-stream packet (truncated)");
    }
    if report.damage.is_empty() && report.concealed_frames == 0 && report.complete {
        Ok(Finish::Ok)
    } else {
        Ok(Finish::Damaged)
    }
}

/// True when both files of `quanta compare` hold audio.
pub fn both_audio(a: &Path, b: &Path) -> bool {
    [a, b]
        .iter()
        .all(|p| probe_file(p).is_ok_and(|kind| kind == Probed::Audio))
}

/// `quanta compare` for audio: SNR, segmental SNR, PSNR.
pub fn compare(reference: &Path, distorted: &Path, json: bool) -> Result<Finish> {
    let (rate_a, ch_a, a) = read_audio_file(reference)?;
    let (rate_b, ch_b, b) = read_audio_file(distorted)?;
    if (rate_a, ch_a) != (rate_b, ch_b) {
        return Err(Error::InvalidArgument(format!(
            "{} is {rate_a} Hz {ch_a} ch but {} is {rate_b} Hz {ch_b} ch",
            reference.display(),
            distorted.display()
        )));
    }
    if a.len() != b.len() {
        return Err(Error::InvalidArgument(format!(
            "lengths differ: {} has {} samples per channel, {} has {}",
            reference.display(),
            a.len() / ch_a,
            distorted.display(),
            b.len() / ch_b
        )));
    }
    let s = snr(&a, &b)?;
    let seg = segmental_snr(&a, &b, ch_a, rate_a)?;
    let p = audio_psnr(&a, &b)?;
    if json {
        let v = |x: f64| {
            if x.is_finite() {
                serde_json::json!(x)
            } else {
                serde_json::json!("inf")
            }
        };
        println!(
            "{}",
            serde_json::json!({"samples": a.len() / ch_a, "sample_rate": rate_a, "channels": ch_a,
                "snr": v(s), "segmental_snr": v(seg), "psnr": v(p)})
        );
    } else {
        println!(
            "audio       {} Hz, {} ch, {} samples",
            rate_a,
            ch_a,
            a.len() / ch_a
        );
        println!("SNR         {} dB", db(s));
        println!("SegSNR      {} dB", db(seg));
        println!("PSNR        {} dB", db(p));
    }
    Ok(Finish::Ok)
}

/// Lines of `quanta info` for an audio stream.
pub fn info_lines(params: &AudioParams, total_bytes: u64, end_samples: Option<u64>) -> Vec<String> {
    let samples = match params.total_samples {
        0 => end_samples.unwrap_or(0),
        t => t,
    };
    let seconds = samples as f64 / params.sample_rate as f64;
    vec![
        format!(
            "audio       {} Hz, {} ch, {} samples ({seconds:.3} s)",
            params.sample_rate, params.channels, samples
        ),
        format!(
            "frames      {} coefficients, {} per packet, {:?} window",
            params.frame_size, params.frames_per_packet, params.window
        ),
        match params.transform {
            AudioTransform::Mdct => format!(
                "mode        lossy (mdct), tune {}, target {} kbit/s (0 = quality mode)",
                params.tune.name(),
                params.target_kbps
            ),
            AudioTransform::IntMdct => format!(
                "mode        {}, {}-bit PCM decoded bit for bit",
                params.transform.name(),
                params.bits
            ),
        },
        format!(
            "delay       {} samples (trimmed by the decoder)",
            params.delay
        ),
        format!(
            "bitrate     {:.1} kbit/s",
            total_bytes as f64 * 8.0 / seconds.max(1e-9) / 1000.0
        ),
    ]
}
