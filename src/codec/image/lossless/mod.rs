//! Lossless and near-lossless pictures: an 8-bit gray or RGB picture in, a quanta stream
//! out (image media kind, transform id [`PREDICTIVE_TRANSFORM_ID`]), and back.
//!
//! The picture is cut into strips of whole rows; each strip is coded on its own by
//! [`strip::encode_strip`] (prediction, residual quantization with step 2N + 1, static
//! rANS coding; [`decode::decode_strip`] is the fast decoder) through the pipeline, one packet per strip, so strips are the unit of
//! parallelism and of damage: a lost strip is reported and filled with mid-grey. Every
//! decoded sample is within ±N (the stream's maximum error) of the source; N = 0 decodes
//! bit for bit. 16-bit pictures ([`DeepPicture`]) are coded losslessly only, by
//! [`deep`]'s strip coder, and decode to 16 bits. The parameter block and the strip payload
//! are specified in docs/FORMAT.md.

pub mod decode;
pub mod deep;
pub mod rans;
pub mod strip;

use std::io::{Read, Write};

use crate::container::{ContainerReader, ContainerWriter, ReadEvent, StreamHeader};
use crate::container::{MediaKind, FORMAT_VERSION, PACKET_OVERHEAD_BYTES};
use crate::error::{Error, Limits, Result};
use crate::pipeline::{self, PipelineConfig, RunStats};
use crate::signal::{DeepPicture, Picture, PixelLayout};
use decode::decode_strip;
use deep::{decode_deep_strip, encode_deep_strip};
use strip::{encode_strip, StripShape};

/// The image transform id of predictive (lossless and near-lossless) streams. The block
/// transforms use ids 0 to 8; this one is far from them.
pub const PREDICTIVE_TRANSFORM_ID: u8 = 64;
/// Version of the parameter block: 2 since strips are rANS-coded (version 1 streams,
/// adaptively range-coded, are refused with a message saying so).
const PARAMS_VERSION: u8 = 2;
/// Size of the parameter block.
const PARAMS_BYTES: usize = 14;
/// Largest maximum error.
pub const MAX_ERROR_LIMIT: u8 = 32;

/// What the lossless encoder can be asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LosslessConfig {
    /// Largest error of any decoded sample, 0 (lossless) to [`MAX_ERROR_LIMIT`].
    pub max_error: u8,
    /// Rows per strip (1 to 4096); strips are coded independently.
    pub strip_rows: u32,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Keep the decoder's output.
    pub reconstruct: bool,
}

impl Default for LosslessConfig {
    fn default() -> Self {
        LosslessConfig {
            max_error: 0,
            strip_rows: 512,
            threads: 0,
            reconstruct: false,
        }
    }
}

impl LosslessConfig {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.max_error > MAX_ERROR_LIMIT {
            return Err(Error::InvalidArgument(format!(
                "maximum error {} (expected 0 to {MAX_ERROR_LIMIT})",
                self.max_error
            )));
        }
        if !(1..=4096).contains(&self.strip_rows) {
            return Err(Error::InvalidArgument(format!(
                "strip of {} rows (expected 1 to 4096)",
                self.strip_rows
            )));
        }
        Ok(())
    }
}

/// The parameters of a predictive picture stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LosslessParams {
    pub width: u32,
    pub height: u32,
    /// 1 gray, 3 RGB.
    pub channels: u8,
    pub max_error: u8,
    pub strip_rows: u32,
    /// Bits per sample: 8, or 16 (lossless only, coded by [`deep`]).
    pub bits: u8,
}

impl LosslessParams {
    /// Number of strips (one packet each).
    pub fn strip_count(&self) -> usize {
        (self.height as usize).div_ceil(self.strip_rows as usize)
    }

    /// First row and row count of strip `index`.
    pub fn strip_rows_of(&self, index: usize) -> (usize, usize) {
        let first = index * self.strip_rows as usize;
        let rows = (self.strip_rows as usize).min(self.height as usize - first);
        (first, rows)
    }

    fn shape(&self, index: usize) -> StripShape {
        StripShape {
            width: self.width as usize,
            rows: self.strip_rows_of(index).1,
            channels: self.channels as usize,
            max_error: self.max_error,
        }
    }

    /// The picture layout of the decoded picture.
    pub fn layout(&self) -> PixelLayout {
        if self.channels == 1 {
            PixelLayout::Gray
        } else {
            PixelLayout::Rgb
        }
    }

    /// Serializes the parameter block.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PARAMS_BYTES);
        out.push(PARAMS_VERSION);
        out.extend_from_slice(&self.width.to_le_bytes());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.push(self.channels);
        out.push(self.max_error);
        out.extend_from_slice(&(self.strip_rows as u16).to_le_bytes());
        out.push(self.bits);
        out
    }

    /// Parses and validates a parameter block.
    pub fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<LosslessParams> {
        if bytes.len() != PARAMS_BYTES {
            return Err(Error::invalid(format!(
                "lossless image header: {} parameter bytes (expected {PARAMS_BYTES})",
                bytes.len()
            )));
        }
        if bytes[0] == 1 {
            return Err(Error::Unsupported(
                "lossless image parameters version 1 (adaptive binary coding, replaced by \
                 version 2's static rANS coding; this build reads version 2 only: encode the \
                 picture again)"
                    .into(),
            ));
        }
        if bytes[0] != PARAMS_VERSION {
            return Err(Error::Unsupported(format!(
                "lossless image parameters version {} (this build reads {PARAMS_VERSION})",
                bytes[0]
            )));
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let (width, height) = (u32_at(1), u32_at(5));
        limits.check_dimensions(width, height)?;
        let channels = bytes[9];
        if channels != 1 && channels != 3 {
            return Err(Error::invalid(format!(
                "lossless image header: {channels} channels (expected 1 or 3)"
            )));
        }
        let max_error = bytes[10];
        if max_error > MAX_ERROR_LIMIT {
            return Err(Error::invalid(format!(
                "lossless image header: maximum error {max_error} (expected 0 to {MAX_ERROR_LIMIT})"
            )));
        }
        let strip_rows = u16::from_le_bytes([bytes[11], bytes[12]]) as u32;
        if !(1..=4096).contains(&strip_rows) {
            return Err(Error::invalid(format!(
                "lossless image header: strips of {strip_rows} rows (expected 1 to 4096)"
            )));
        }
        let bits = bytes[13];
        if bits != 8 && bits != 16 {
            return Err(Error::invalid(format!(
                "lossless image header: {bits} bits per sample (expected 8 or 16)"
            )));
        }
        if bits == 16 && max_error != 0 {
            return Err(Error::invalid(format!(
                "lossless image header: 16-bit samples with maximum error {max_error} \
                 (16-bit pictures are coded losslessly only)"
            )));
        }
        Ok(LosslessParams {
            width,
            height,
            channels,
            max_error,
            strip_rows,
            bits,
        })
    }
}

/// What a lossless encode produced.
#[derive(Debug)]
pub struct LosslessOutcome {
    pub params: LosslessParams,
    /// Bytes written, header included.
    pub bytes: u64,
    /// The decoder's output, when the configuration asked for it.
    pub reconstruction: Option<Picture>,
    pub stats: RunStats,
}

/// Encodes `picture` losslessly (or within the configured maximum error) into `out`.
pub fn encode_picture_lossless<W: Write>(
    picture: &Picture,
    config: &LosslessConfig,
    out: W,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LosslessOutcome> {
    config.validate()?;
    let params = params_for(picture.width, picture.height, picture.layout, config, 8)?;
    let row_bytes = picture.width * picture.layout.channels();
    let code = |index: usize| {
        let (first, rows) = params.strip_rows_of(index);
        let samples = &picture.data[first * row_bytes..(first + rows) * row_bytes];
        let (coded, decoded) = encode_strip(params.shape(index), samples);
        (coded, config.reconstruct.then_some(decoded))
    };
    let (bytes, reconstruction, stats) =
        write_strips(&params, config.threads, out, progress, &code)?;
    let reconstruction = if config.reconstruct {
        Some(Picture::new(
            picture.width,
            picture.height,
            picture.layout,
            reconstruction,
        )?)
    } else {
        None
    };
    Ok(LosslessOutcome {
        params,
        bytes,
        reconstruction,
        stats,
    })
}

/// Encodes a 16-bit `picture` losslessly into `out` (the configuration's maximum error
/// must be 0; `reconstruct` is ignored, since the decode is the source).
pub fn encode_deep_picture_lossless<W: Write>(
    picture: &DeepPicture,
    config: &LosslessConfig,
    out: W,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LosslessOutcome> {
    config.validate()?;
    if config.max_error != 0 {
        return Err(Error::Unsupported(format!(
            "maximum error {} on a 16-bit picture: 16-bit pictures are coded losslessly only \
             (use --lossless, or reduce the picture to 8 bits first)",
            config.max_error
        )));
    }
    let params = params_for(picture.width, picture.height, picture.layout, config, 16)?;
    let row_samples = picture.width * picture.layout.channels();
    let code = |index: usize| {
        let (first, rows) = params.strip_rows_of(index);
        let samples = &picture.data[first * row_samples..(first + rows) * row_samples];
        let channels = picture.layout.channels();
        (
            encode_deep_strip(picture.width, rows, channels, samples),
            None,
        )
    };
    let (bytes, _, stats) = write_strips(&params, config.threads, out, progress, &code)?;
    Ok(LosslessOutcome {
        params,
        bytes,
        reconstruction: None,
        stats,
    })
}

/// The stream parameters of a picture of this size and layout under `config`.
fn params_for(
    width: usize,
    height: usize,
    layout: PixelLayout,
    config: &LosslessConfig,
    bits: u8,
) -> Result<LosslessParams> {
    Limits::default().check_dimensions(width as u32, height as u32)?;
    Ok(LosslessParams {
        width: width as u32,
        height: height as u32,
        channels: layout.channels() as u8,
        max_error: config.max_error,
        strip_rows: config.strip_rows.min(height as u32).max(1),
        bits,
    })
}

/// Codes every strip with `code` (its coded bytes, and its 8-bit reconstruction when
/// kept) through the pipeline and writes the stream: bytes written, the reconstruction
/// in strip order, the pipeline's figures.
#[allow(clippy::type_complexity)]
fn write_strips<W: Write>(
    params: &LosslessParams,
    threads: usize,
    out: W,
    progress: &mut dyn FnMut(usize, usize),
    code: &(dyn Fn(usize) -> (Vec<u8>, Option<Vec<u8>>) + Sync),
) -> Result<(u64, Vec<u8>, RunStats)> {
    let header = StreamHeader {
        version: FORMAT_VERSION,
        media: MediaKind::Image,
        transform: PREDICTIVE_TRANSFORM_ID,
        params: params.to_bytes(),
    };
    let mut writer = ContainerWriter::new(out, &header)?;
    let strip_count = params.strip_count();
    let mut reconstruction = Vec::new();
    let mut written = 0;
    let stats = pipeline::run_one(
        &PipelineConfig::with_threads(threads),
        (0..strip_count).map(Ok),
        ("code", |index: usize| {
            let (coded, decoded) = code(index);
            let mut payload = (index as u32).to_le_bytes().to_vec();
            payload.extend_from_slice(&coded);
            Ok((payload, decoded))
        }),
        |(payload, decoded): (Vec<u8>, Option<Vec<u8>>)| {
            writer.write_packet(true, &payload)?;
            if let Some(d) = decoded {
                reconstruction.extend_from_slice(&d);
            }
            written += 1;
            progress(written, strip_count);
            Ok(())
        },
    )?;
    let bytes = writer.bytes_written() + PACKET_OVERHEAD_BYTES as u64;
    let mut inner = writer.finish(&[])?;
    inner
        .flush()
        .map_err(|e| Error::io("cannot flush the encoded stream", e))?;
    Ok((bytes, reconstruction, stats))
}

/// A decoded lossless picture and what went wrong on the way.
#[derive(Debug)]
pub struct DecodedLossless {
    /// The picture; for a 16-bit stream rounded to 8 bits (the samples are in `deep`).
    pub picture: Picture,
    /// The 16-bit samples of a 16-bit stream.
    pub deep: Option<DeepPicture>,
    pub params: LosslessParams,
    /// One line per damaged stretch of the stream or undecodable strip.
    pub damage: Vec<String>,
    /// Strips that could not be decoded and were filled with grey.
    pub concealed_strips: Vec<usize>,
    /// True when the stream ended with its end-of-stream packet.
    pub complete: bool,
}

/// The samples of one decoded strip, at the stream's depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripSamples {
    Eight(Vec<u8>),
    Sixteen(Vec<u16>),
}

impl StripSamples {
    pub fn len(&self) -> usize {
        match self {
            StripSamples::Eight(v) => v.len(),
            StripSamples::Sixteen(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A decoded strip.
struct DecodedStrip {
    index: usize,
    samples: StripSamples,
}

/// Decodes one strip packet (strip index, then the strip's coded bytes).
pub fn decode_strip_payload(
    params: &LosslessParams,
    payload: &[u8],
) -> Result<(usize, StripSamples)> {
    let index_bytes: [u8; 4] = payload
        .get(..4)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| Error::invalid("lossless strip: payload shorter than its index"))?;
    let index = u32::from_le_bytes(index_bytes) as usize;
    if index >= params.strip_count() {
        return Err(Error::invalid(format!(
            "lossless strip: index {index} (the picture has {} strips)",
            params.strip_count()
        )));
    }
    let shape = params.shape(index);
    let samples = if params.bits == 16 {
        let data = &payload[4..];
        StripSamples::Sixteen(decode_deep_strip(
            shape.width,
            shape.rows,
            shape.channels,
            data,
        )?)
    } else {
        StripSamples::Eight(decode_strip(shape, &payload[4..])?)
    };
    Ok((index, samples))
}

enum StripOutcome {
    Strip(DecodedStrip),
    Damage(String),
}

/// Decodes a predictive image stream whose header was already read.
pub fn decode_lossless_stream<R: Read + Send>(
    mut reader: ContainerReader<R>,
    threads: usize,
    limits: &Limits,
) -> Result<DecodedLossless> {
    let params = LosslessParams::from_bytes(&reader.header().params, limits)?;
    let row_samples = params.width as usize * params.channels as usize;
    let count = row_samples * params.height as usize;
    let mut data = if params.bits == 16 {
        StripSamples::Sixteen(vec![32768u16; count])
    } else {
        StripSamples::Eight(vec![128u8; count])
    };
    let mut present = vec![false; params.strip_count()];
    let mut damage = Vec::new();
    let source = std::iter::from_fn(|| match reader.next_event() {
        Ok(Some(event)) => Some(Ok(event)),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    });
    pipeline::run_one(
        &PipelineConfig::with_threads(threads),
        source,
        ("decode", |event: ReadEvent| {
            Ok(match event {
                ReadEvent::Packet(packet) => match decode_strip_payload(&params, &packet.payload) {
                    Ok((index, samples)) => StripOutcome::Strip(DecodedStrip { index, samples }),
                    Err(e) => StripOutcome::Damage(format!("packet {}: {e}", packet.sequence)),
                },
                ReadEvent::Damaged(d) => StripOutcome::Damage(d.to_string()),
            })
        }),
        |outcome| {
            match outcome {
                StripOutcome::Strip(s) => {
                    let first = params.strip_rows_of(s.index).0 * row_samples;
                    match (&mut data, &s.samples) {
                        (StripSamples::Eight(all), StripSamples::Eight(strip)) => {
                            all[first..first + strip.len()].copy_from_slice(strip)
                        }
                        (StripSamples::Sixteen(all), StripSamples::Sixteen(strip)) => {
                            all[first..first + strip.len()].copy_from_slice(strip)
                        }
                        // Both follow the stream's depth; a mismatch would be a lost strip.
                        _ => return Ok(()),
                    }
                    present[s.index] = true;
                }
                StripOutcome::Damage(d) => damage.push(d),
            }
            Ok(())
        },
    )?;
    let complete = reader.is_complete();
    let concealed_strips = present
        .iter()
        .enumerate()
        .filter(|(_, &p)| !p)
        .map(|(i, _)| i)
        .collect();
    let (width, height) = (params.width as usize, params.height as usize);
    let (picture, deep) = match data {
        StripSamples::Eight(data) => (Picture::new(width, height, params.layout(), data)?, None),
        StripSamples::Sixteen(data) => {
            let deep = DeepPicture::new(width, height, params.layout(), data)?;
            (deep.to_8bit(), Some(deep))
        }
    };
    Ok(DecodedLossless {
        picture,
        deep,
        params,
        damage,
        concealed_strips,
        complete,
    })
}
