//! Audio input and output: any audio file symphonia can read, or raw PCM, in as a stream of
//! interleaved `f32` samples; WAV (through hound) or raw PCM out.
//!
//! In: a file or byte stream (WAV, FLAC, MP3, Ogg Vorbis, AAC/MP4, ALAC, AIFF, CAF), or raw
//! `s16le`/`s24le`/`f32le` PCM with a given rate and channel count. Out: an [`AudioSource`] that
//! hands out interleaved samples in full scale 1.0 a few thousand at a time, decoding the
//! input packet by packet, so memory stays bounded however long the input is. Encoder
//! delay and padding that the container signals are trimmed. Going out, [`WavSink`] writes
//! 16-bit, 24-bit or 32-bit float WAV incrementally and [`PcmSink`] raw PCM.

use std::io::{Read, Seek, Write};

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;

use crate::error::{Error, Limits, Result};

/// What the samples of a source were before they became `f32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcmDepth {
    /// Integer PCM of this many bits.
    Integer(u32),
    /// Floating-point samples.
    Float,
    /// Not known (decoded lossy audio, or a container that does not say).
    Unknown,
}

/// A source of interleaved samples.
pub trait AudioSource: Send {
    /// The input's sample format, when known (the lossless mode codes integer PCM of up to
    /// 24 bits and refuses float).
    fn pcm_depth(&self) -> PcmDepth {
        PcmDepth::Unknown
    }
    /// Samples per second per channel.
    fn sample_rate(&self) -> u32;
    /// Interleaved channels.
    fn channels(&self) -> usize;
    /// Samples per channel, when known before reading them all.
    fn total_samples(&self) -> Option<u64>;
    /// Appends up to `frames` sample frames (all channels of one instant) to `out`, and
    /// returns how many; 0 at the end of the input.
    fn read_frames(&mut self, out: &mut Vec<f32>, frames: usize) -> Result<usize>;
}

/// Samples already in memory.
#[derive(Debug, Clone)]
pub struct MemorySource {
    pub rate: u32,
    pub channels: usize,
    pub samples: Vec<f32>,
    pub position: usize,
    /// What the samples were ([`PcmDepth::Unknown`] unless set).
    pub depth: PcmDepth,
}

impl MemorySource {
    pub fn new(rate: u32, channels: usize, samples: Vec<f32>) -> MemorySource {
        MemorySource {
            rate,
            channels,
            samples,
            position: 0,
            depth: PcmDepth::Unknown,
        }
    }

    /// The same source, announcing `depth`.
    pub fn with_depth(self, depth: PcmDepth) -> MemorySource {
        MemorySource { depth, ..self }
    }
}

impl AudioSource for MemorySource {
    fn pcm_depth(&self) -> PcmDepth {
        self.depth
    }
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn channels(&self) -> usize {
        self.channels
    }
    fn total_samples(&self) -> Option<u64> {
        Some((self.samples.len() / self.channels.max(1)) as u64)
    }
    fn read_frames(&mut self, out: &mut Vec<f32>, frames: usize) -> Result<usize> {
        let c = self.channels.max(1);
        let available = (self.samples.len() - self.position) / c;
        let take = available.min(frames);
        out.extend_from_slice(&self.samples[self.position..self.position + take * c]);
        self.position += take * c;
        Ok(take)
    }
}

/// Checks a rate and channel count an input announces.
fn check_format(name: &str, rate: u32, channels: usize) -> Result<()> {
    let limits = Limits::default();
    Limits::check(
        "audio channel count",
        channels as u64,
        limits.max_channels as u64,
    )?;
    if channels == 0 || channels > 2 {
        return Err(Error::Unsupported(format!(
            "{name}: {channels} channels; quanta codes mono and stereo audio only (downmix first)"
        )));
    }
    if !(8_000..=96_000).contains(&rate) {
        return Err(Error::Unsupported(format!(
            "{name}: sample rate {rate} Hz (quanta codes 8000 to 96000 Hz)"
        )));
    }
    Ok(())
}

/// The sample format a track's codec parameters announce.
fn pcm_depth_of(params: &symphonia::core::codecs::audio::AudioCodecParameters) -> PcmDepth {
    use symphonia::core::audio::sample::SampleFormat;
    use symphonia::core::codecs::audio::well_known::*;
    let float_codecs = [
        CODEC_ID_PCM_F32LE,
        CODEC_ID_PCM_F32LE_PLANAR,
        CODEC_ID_PCM_F32BE,
        CODEC_ID_PCM_F32BE_PLANAR,
        CODEC_ID_PCM_F64LE,
        CODEC_ID_PCM_F64LE_PLANAR,
        CODEC_ID_PCM_F64BE,
        CODEC_ID_PCM_F64BE_PLANAR,
    ];
    if float_codecs.contains(&params.codec)
        || matches!(
            params.sample_format,
            Some(SampleFormat::F32 | SampleFormat::F64)
        )
    {
        return PcmDepth::Float;
    }
    // Integer PCM, FLAC, ALAC and the like announce their bits; lossy codecs do not.
    params
        .bits_per_sample
        .map_or(PcmDepth::Unknown, PcmDepth::Integer)
}

/// An audio file decoded through symphonia, packet by packet.
pub struct SymphoniaSource {
    name: String,
    format: Box<dyn FormatReader + 'static>,
    decoder: Box<dyn AudioDecoder>,
    track: u32,
    rate: u32,
    channels: usize,
    total: Option<u64>,
    depth: PcmDepth,
    pending: Vec<f32>,
    pending_at: usize,
    scratch: Vec<f32>,
}

impl std::fmt::Debug for SymphoniaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SymphoniaSource({}, {} Hz, {} ch)",
            self.name, self.rate, self.channels
        )
    }
}

fn media_error(name: &str, e: symphonia::core::errors::Error) -> Error {
    Error::Media(format!("{name}: {e}"))
}

impl SymphoniaSource {
    /// Opens an audio file.
    pub fn open(path: &std::path::Path) -> Result<SymphoniaSource> {
        let file = std::fs::File::open(path).map_err(|e| Error::io_path("open", path, e))?;
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let name = path.display().to_string();
        Self::from_stream(
            MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default()),
            hint,
            name,
        )
    }

    /// Reads an audio file from a non-seekable byte stream (for example standard input).
    pub fn from_reader<R: Read + Send + Sync + 'static>(
        reader: R,
        name: &str,
    ) -> Result<SymphoniaSource> {
        Self::from_stream(
            MediaSourceStream::new(
                Box::new(ReadOnlySource::new(reader)),
                MediaSourceStreamOptions::default(),
            ),
            Hint::new(),
            name.to_string(),
        )
    }

    /// Reads an audio file held in memory.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Result<SymphoniaSource> {
        Self::from_stream(
            MediaSourceStream::new(
                Box::new(std::io::Cursor::new(bytes)),
                MediaSourceStreamOptions::default(),
            ),
            Hint::new(),
            name.to_string(),
        )
    }

    fn from_stream(
        stream: MediaSourceStream<'static>,
        hint: Hint,
        name: String,
    ) -> Result<SymphoniaSource> {
        let format = symphonia::default::get_probe()
            .probe(
                &hint,
                stream,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| Error::Media(format!("{name}: not a readable audio file: {e}")))?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| Error::Media(format!("{name}: no audio track")))?;
        let params = match &track.codec_params {
            Some(CodecParameters::Audio(p)) => p.clone(),
            _ => {
                return Err(Error::Media(format!(
                    "{name}: the audio track has no codec parameters"
                )))
            }
        };
        let rate = params
            .sample_rate
            .ok_or_else(|| Error::Media(format!("{name}: unknown sample rate")))?;
        let channels = params
            .channels
            .as_ref()
            .map(|c| c.count())
            .ok_or_else(|| Error::Media(format!("{name}: unknown channel count")))?;
        check_format(&name, rate, channels)?;
        let total = track.num_frames;
        let id = track.id;
        let depth = pcm_depth_of(&params);
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| Error::Media(format!("{name}: cannot decode the audio track: {e}")))?;
        Ok(SymphoniaSource {
            name,
            format,
            decoder,
            track: id,
            rate,
            channels,
            total,
            depth,
            pending: Vec::new(),
            pending_at: 0,
            scratch: Vec::new(),
        })
    }

    /// Decodes the next packet of the track into `pending`; false at the end.
    fn decode_next(&mut self) -> Result<bool> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(false),
                Err(symphonia::core::errors::Error::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return Ok(false)
                }
                Err(e) => return Err(media_error(&self.name, e)),
            };
            if packet.track_id != self.track {
                continue;
            }
            let trim_start = packet.trim_start.get() as usize;
            let trim_end = packet.trim_end.get() as usize;
            let buffer = match self.decoder.decode(&packet) {
                Ok(b) => b,
                // A corrupt packet: symphonia's decoders skip it and go on.
                Err(symphonia::core::errors::Error::DecodeError(_)) => continue,
                Err(e) => return Err(media_error(&self.name, e)),
            };
            if buffer.spec().channels().count() != self.channels {
                return Err(Error::Media(format!(
                    "{}: the channel count changed mid-stream",
                    self.name
                )));
            }
            self.scratch.clear();
            buffer.copy_to_vec_interleaved(&mut self.scratch);
            let frames = self.scratch.len() / self.channels;
            let from = trim_start.min(frames);
            let to = frames.saturating_sub(trim_end).max(from);
            self.pending.clear();
            self.pending
                .extend_from_slice(&self.scratch[from * self.channels..to * self.channels]);
            self.pending_at = 0;
            if !self.pending.is_empty() {
                return Ok(true);
            }
        }
    }
}

impl AudioSource for SymphoniaSource {
    fn pcm_depth(&self) -> PcmDepth {
        self.depth
    }
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn channels(&self) -> usize {
        self.channels
    }
    fn total_samples(&self) -> Option<u64> {
        self.total
    }
    fn read_frames(&mut self, out: &mut Vec<f32>, frames: usize) -> Result<usize> {
        if self.pending_at >= self.pending.len() && !self.decode_next()? {
            return Ok(0);
        }
        let available = (self.pending.len() - self.pending_at) / self.channels;
        let take = available.min(frames);
        let end = self.pending_at + take * self.channels;
        out.extend_from_slice(&self.pending[self.pending_at..end]);
        self.pending_at = end;
        Ok(take)
    }
}

/// A raw PCM sample encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcmFormat {
    /// Signed 16-bit little-endian.
    S16le,
    /// Signed 24-bit little-endian, packed in 3 bytes.
    S24le,
    /// 32-bit float little-endian.
    F32le,
}

impl PcmFormat {
    pub fn from_name(name: &str) -> Option<PcmFormat> {
        match name {
            "s16le" => Some(PcmFormat::S16le),
            "s24le" => Some(PcmFormat::S24le),
            "f32le" => Some(PcmFormat::F32le),
            _ => None,
        }
    }

    fn bytes(self) -> usize {
        match self {
            PcmFormat::S16le => 2,
            PcmFormat::S24le => 3,
            PcmFormat::F32le => 4,
        }
    }
}

/// Raw interleaved PCM from any reader, of unknown length.
pub struct RawPcmSource<R: Read + Send> {
    reader: R,
    format: PcmFormat,
    rate: u32,
    channels: usize,
    bytes: Vec<u8>,
    filled: usize,
}

impl<R: Read + Send> RawPcmSource<R> {
    pub fn new(
        reader: R,
        format: PcmFormat,
        rate: u32,
        channels: usize,
    ) -> Result<RawPcmSource<R>> {
        check_format("raw PCM input", rate, channels)?;
        Ok(RawPcmSource {
            reader,
            format,
            rate,
            channels,
            bytes: Vec::new(),
            filled: 0,
        })
    }
}

impl<R: Read + Send> AudioSource for RawPcmSource<R> {
    fn pcm_depth(&self) -> PcmDepth {
        match self.format {
            PcmFormat::S16le => PcmDepth::Integer(16),
            PcmFormat::S24le => PcmDepth::Integer(24),
            PcmFormat::F32le => PcmDepth::Float,
        }
    }
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn channels(&self) -> usize {
        self.channels
    }
    fn total_samples(&self) -> Option<u64> {
        None
    }
    fn read_frames(&mut self, out: &mut Vec<f32>, frames: usize) -> Result<usize> {
        let frame_bytes = self.format.bytes() * self.channels;
        self.bytes.resize(frames * frame_bytes, 0);
        // Read until at least one whole frame is there or the input ends.
        while self.filled < frame_bytes {
            let got = self
                .reader
                .read(&mut self.bytes[self.filled..])
                .map_err(|e| Error::io("cannot read raw PCM input", e))?;
            if got == 0 {
                break;
            }
            self.filled += got;
        }
        let whole = self.filled / frame_bytes;
        let used = whole * frame_bytes;
        match self.format {
            PcmFormat::S16le => out.extend(
                self.bytes[..used]
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0),
            ),
            // The 24 bits in the top of an i32, sign included; 24-bit values are exact in f32.
            PcmFormat::S24le => out.extend(
                self.bytes[..used]
                    .chunks_exact(3)
                    .map(|b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0),
            ),
            PcmFormat::F32le => out.extend(
                self.bytes[..used]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    // NaN and infinities are not sound: they become silence.
                    .map(|v| if v.is_finite() { v } else { 0.0 }),
            ),
        }
        self.bytes.copy_within(used..self.filled, 0);
        self.filled -= used;
        Ok(whole)
    }
}

/// Sample encodings of WAV output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavBits {
    Int16,
    Int24,
    Float32,
}

/// Converts a sample in full scale 1.0 to a rounded, clipped integer of `bits` bits.
pub(crate) fn to_int(v: f32, bits: u32) -> i32 {
    let scale = (1i64 << (bits - 1)) as f64;
    (v as f64 * scale).round().clamp(-scale, scale - 1.0) as i32
}

/// A WAV file written incrementally.
pub struct WavSink<W: Write + Seek> {
    writer: hound::WavWriter<W>,
    bits: WavBits,
}

impl<W: Write + Seek> WavSink<W> {
    pub fn new(inner: W, rate: u32, channels: u16, bits: WavBits) -> Result<WavSink<W>> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: match bits {
                WavBits::Int16 => 16,
                WavBits::Int24 => 24,
                WavBits::Float32 => 32,
            },
            sample_format: match bits {
                WavBits::Float32 => hound::SampleFormat::Float,
                _ => hound::SampleFormat::Int,
            },
        };
        let writer = hound::WavWriter::new(inner, spec)
            .map_err(|e| Error::Media(format!("cannot start the WAV output: {e}")))?;
        Ok(WavSink { writer, bits })
    }

    /// Appends interleaved samples.
    pub fn write(&mut self, samples: &[f32]) -> Result<()> {
        let err = |e: hound::Error| Error::Media(format!("cannot write the WAV output: {e}"));
        for &v in samples {
            match self.bits {
                WavBits::Int16 => self
                    .writer
                    .write_sample(to_int(v, 16) as i16)
                    .map_err(err)?,
                WavBits::Int24 => self.writer.write_sample(to_int(v, 24)).map_err(err)?,
                WavBits::Float32 => self.writer.write_sample(v).map_err(err)?,
            }
        }
        Ok(())
    }

    /// Completes the header with the final length.
    pub fn finalize(self) -> Result<()> {
        self.writer
            .finalize()
            .map_err(|e| Error::Media(format!("cannot finish the WAV output: {e}")))
    }
}

/// Writes interleaved samples as raw PCM.
pub fn write_pcm<W: Write>(out: &mut W, samples: &[f32], format: PcmFormat) -> Result<()> {
    let mut bytes = Vec::with_capacity(samples.len() * format.bytes());
    for &v in samples {
        match format {
            PcmFormat::S16le => bytes.extend_from_slice(&(to_int(v, 16) as i16).to_le_bytes()),
            PcmFormat::S24le => bytes.extend_from_slice(&to_int(v, 24).to_le_bytes()[..3]),
            PcmFormat::F32le => bytes.extend_from_slice(&v.to_le_bytes()),
        }
    }
    out.write_all(&bytes)
        .map_err(|e| Error::io("cannot write PCM output", e))
}

/// Reads a whole audio file into memory: (rate, channels, interleaved samples). For
/// comparisons and tests; encoding streams instead.
pub fn read_audio_file(path: &std::path::Path) -> Result<(u32, usize, Vec<f32>)> {
    let mut source = SymphoniaSource::open(path)?;
    let mut samples = Vec::new();
    while source.read_frames(&mut samples, 1 << 16)? > 0 {}
    Ok((source.rate, source.channels, samples))
}
