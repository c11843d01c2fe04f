//! The video codec: Y4M frames in, a quanta stream out (one packet per frame), and back.
//!
//! Encoding pads each frame to whole 16×16 macroblocks and codes it as a keyframe (I, every
//! macroblock intra) or an inter frame (P, predicted from the previous reconstruction by
//! quarter-sample motion compensation, with skip, inter and intra macroblocks chosen by
//! rate-distortion cost priced with the models that code them). Frames are cut into slices
//! of whole macroblock rows, coded in parallel; the reconstruction is deblocked in the loop
//! and becomes the next reference. A lookahead ([`lookahead`]) estimates motion on the
//! source frames, ahead of coding and on its own thread when the frames come as a stream
//! ([`VideoEncoder::encode_stream`]): its vectors seed the coder's search and its costs find
//! scene cuts. Keyframes come every `keyint` frames and at scene cuts. The
//! decoder's integer arithmetic is shared with the encoder, so decoder output equals the
//! encoder's reconstruction bit for bit and prediction never drifts. A damaged or lost
//! packet is reported and concealed by repeating the last good frame until the next
//! keyframe. docs/FORMAT.md ("Video") specifies the stream.

pub mod intra;
pub mod lookahead;
pub mod loopfilter;
mod mb;
pub mod motion;
pub mod params;
pub mod rate;
pub mod slice;
pub mod syntax;

use std::io::{Read, Write};

use crate::container::{ContainerReader, ContainerWriter, MediaKind, ReadEvent, StreamHeader};
use crate::error::{Error, Limits, Result};
use crate::media::y4m::{Y4mHeader, YuvFrame};
use crate::signal::Plane;
use crate::transform::TransformId;
use lookahead::{AnalysedFrame, Analyser};
use motion::Mv;
pub use params::VideoParams;
use rate::RateControl;
use slice::{
    decode_slice, FrameSetup, PlaneRows, Reference, SliceEncoder, SliceOutput, Tuning, MAX_QP,
};

/// Everything the video encoder can be asked to do.
#[derive(Debug, Clone)]
pub struct VideoEncoderConfig {
    /// 0..=100, used when `bitrate_kbps` is `None`.
    pub quality: u8,
    /// Average bitrate in kbit/s.
    pub bitrate_kbps: Option<u32>,
    /// Largest distance between keyframes (0 = only the first frame and scene cuts).
    pub keyint: u32,
    /// Make a frame a keyframe when the lookahead finds that motion compensation barely
    /// helps it (or, failing that, when most of its macroblocks chose intra).
    pub scene_cut: bool,
    /// Frames the lookahead may run ahead of coding in [`VideoEncoder::encode_stream`]
    /// (0 = analyse each frame just before coding it, on the coding thread). Output bytes
    /// do not depend on it.
    pub lookahead: usize,
    /// In-loop deblocking.
    pub deblock: bool,
    /// Worker threads (0 = one per core). Output bytes do not depend on it.
    pub threads: usize,
    /// Keyframes are coded this many quantizer indices finer than inter frames (6 indices
    /// halve the step): every later frame of the group predicts from the keyframe.
    pub key_qp_offset: u8,
    /// Macroblock rows per slice (0 = chosen from the picture height).
    pub slice_rows: u16,
    /// The residual block transform (any member of the family; the exact DCT by default).
    pub transform: TransformId,
    pub tuning: Tuning,
}

impl Default for VideoEncoderConfig {
    fn default() -> Self {
        VideoEncoderConfig {
            quality: 60,
            bitrate_kbps: None,
            keyint: 250,
            scene_cut: true,
            lookahead: 4,
            deblock: true,
            threads: 0,
            key_qp_offset: rate::KEY_QP_OFFSET,
            slice_rows: 0,
            transform: TransformId::Dct,
            tuning: Tuning::default(),
        }
    }
}

impl VideoEncoderConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if self.quality > 100 {
            return Err(Error::InvalidArgument(format!(
                "quality {} is not in 0..100",
                self.quality
            )));
        }
        if self.bitrate_kbps == Some(0) {
            return Err(Error::InvalidArgument("bitrate 0 kbit/s".into()));
        }
        if self.key_qp_offset > 24 {
            return Err(Error::InvalidArgument(format!(
                "keyframe quantizer offset {} is not in 0..24",
                self.key_qp_offset
            )));
        }
        if self.lookahead > MAX_LOOKAHEAD {
            return Err(Error::InvalidArgument(format!(
                "lookahead {} is not in 0..{MAX_LOOKAHEAD}",
                self.lookahead
            )));
        }
        if !(1..=256).contains(&self.tuning.search_range) {
            return Err(Error::InvalidArgument(format!(
                "search range {} is not in 1..256",
                self.tuning.search_range
            )));
        }
        Ok(())
    }
}

/// Most frames the lookahead may hold ahead of coding.
pub const MAX_LOOKAHEAD: usize = 16;

/// Worker threads to use for a request (0 = one per core).
fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Statistics of one coded frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameStats {
    pub keyframe: bool,
    pub qp: u8,
    pub bytes: usize,
    pub intra_mbs: usize,
    /// Macroblocks split into four 8×8 quarters with their own vectors.
    pub split_mbs: usize,
}

/// What an encode produced.
#[derive(Debug, Clone)]
pub struct VideoSummary {
    pub params: VideoParams,
    pub frames: u64,
    pub keyframes: u64,
    /// Bytes written, container included.
    pub bytes: u64,
}

/// Frame payload: type, quantizer index, frame number, slice count, then each slice's
/// length and bytes.
const FRAME_HEADER_BYTES: usize = 8;

/// A padded copy of a frame.
fn pad_frame(params: &VideoParams, frame: &YuvFrame) -> Result<Vec<Plane>> {
    let chroma = params.chroma;
    let (w, h) = (params.width as usize, params.height as usize);
    if frame.planes.len() != chroma.plane_count() {
        return Err(Error::InvalidArgument(format!(
            "frame has {} planes, a {} video needs {}",
            frame.planes.len(),
            chroma.tag(),
            chroma.plane_count()
        )));
    }
    let mut out = Vec::with_capacity(frame.planes.len());
    for (p, plane) in frame.planes.iter().enumerate() {
        let expected = chroma.plane_size(p, w, h);
        if (plane.width, plane.height) != expected || plane.data.len() != plane.width * plane.height
        {
            return Err(Error::InvalidArgument(format!(
                "frame plane {p} is {}x{}, expected {}x{}",
                plane.width, plane.height, expected.0, expected.1
            )));
        }
        let (pw, ph) = params.padded_plane(p);
        out.push(plane.padded(pw, ph));
    }
    Ok(out)
}

/// The visible part of padded planes.
fn crop_frame(params: &VideoParams, planes: &[Plane]) -> YuvFrame {
    let (w, h) = (params.width as usize, params.height as usize);
    YuvFrame {
        planes: planes
            .iter()
            .enumerate()
            .map(|(p, plane)| {
                let (pw, ph) = params.chroma.plane_size(p, w, h);
                plane.cropped(pw, ph)
            })
            .collect(),
    }
}

/// Splits padded planes into the rows of each slice.
fn slice_rows<'a>(params: &VideoParams, planes: &'a mut [Plane]) -> Vec<Vec<PlaneRows<'a>>> {
    let slices = params.slice_count();
    let mut out: Vec<Vec<PlaneRows<'a>>> = (0..slices).map(|_| Vec::new()).collect();
    for (p, plane) in planes.iter_mut().enumerate() {
        let sy = if p == 0 { 0 } else { params.chroma.shifts().1 };
        let rows = (16usize >> sy) * params.slice_rows as usize;
        let width = plane.width;
        for (s, chunk) in plane.data.chunks_mut(rows * width).enumerate() {
            if let Some(v) = out.get_mut(s) {
                v.push(PlaneRows {
                    width,
                    y0: s * rows,
                    data: chunk,
                });
            }
        }
    }
    out
}

/// Runs `work` on every slice, on up to `threads` scoped workers; results in slice order.
/// A worker that panics is reported as an error.
fn run_slices<'a, T: Send, F>(
    rows: Vec<Vec<PlaneRows<'a>>>,
    threads: usize,
    work: F,
) -> Result<Vec<T>>
where
    F: Fn(usize, &mut [PlaneRows<'a>]) -> T + Sync,
{
    let n = rows.len();
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return Ok(rows
            .into_iter()
            .enumerate()
            .map(|(s, mut r)| work(s, &mut r))
            .collect());
    }
    let mut groups: Vec<Vec<(usize, Vec<PlaneRows<'a>>)>> =
        (0..threads).map(|_| Vec::new()).collect();
    for (s, r) in rows.into_iter().enumerate() {
        groups[s % threads].push((s, r));
    }
    let work = &work;
    let mut results: Vec<(usize, T)> = Vec::with_capacity(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .into_iter()
            .map(|group| {
                scope.spawn(move || {
                    group
                        .into_iter()
                        .map(|(s, mut r)| (s, work(s, &mut r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            let part = h
                .join()
                .map_err(|_| Error::Pipeline("a slice worker panicked".into()))?;
            results.extend(part);
        }
        Ok::<(), Error>(())
    })?;
    results.sort_by_key(|(s, _)| *s);
    Ok(results.into_iter().map(|(_, t)| t).collect())
}

/// Deblocks reconstructed planes and makes them a reference; `search_grid` (the encoder's)
/// asks for the quarter-sample grid, interpolated on that many threads.
fn make_reference(
    params: &VideoParams,
    mut planes: Vec<Plane>,
    outputs: &[SliceOutput],
    qp: u8,
    search_grid: Option<usize>,
) -> Reference {
    let (mw, _) = params.mb_grid();
    if params.flags & params::FLAG_DEBLOCK != 0 {
        let blocks: Vec<_> = outputs
            .iter()
            .flat_map(|o| o.blocks.iter().copied())
            .collect();
        loopfilter::deblock(&mut planes, &blocks, 2 * mw, params.chroma.shifts(), qp);
    }
    let mvs = outputs.iter().flat_map(|o| o.mvs.iter().copied()).collect();
    Reference {
        grid: search_grid.map(|threads| motion::QuarterGrid::new(&planes[0], threads)),
        planes,
        mvs,
    }
}

/// Streaming video encoder: a header at creation, one packet per frame, a closing packet.
pub struct VideoEncoder<W: Write> {
    writer: ContainerWriter<W>,
    params: VideoParams,
    config: VideoEncoderConfig,
    threads: usize,
    reference: Option<Reference>,
    /// The lookahead's state (moved to the lookahead thread during
    /// [`VideoEncoder::encode_stream`] and back).
    analyser: Analyser,
    rate: RateControl,
    frames: u64,
    keyframes: u64,
    since_key: u32,
    reconstruction: Option<YuvFrame>,
}

impl<W: Write> VideoEncoder<W> {
    /// Writes the stream header for a Y4M source.
    pub fn new(out: W, source: &Y4mHeader, config: &VideoEncoderConfig) -> Result<Self> {
        config.validate()?;
        Limits::default().check_dimensions(source.width, source.height)?;
        let mut params = VideoParams::from_y4m(source);
        params.keyint = config.keyint;
        params.quality = if config.bitrate_kbps.is_some() {
            0
        } else {
            config.quality
        };
        params.bitrate_kbps = config.bitrate_kbps.unwrap_or(0);
        params.transform = config.transform;
        params.flags = if config.deblock {
            params::FLAG_DEBLOCK
        } else {
            0
        };
        let (_, mh) = params.mb_grid();
        params.slice_rows = if config.slice_rows > 0 {
            config.slice_rows.min(mh as u16).max(1)
        } else {
            // About six rows per slice, an even count for two workers.
            let mut slices = (mh / 6).clamp(1, 8);
            if slices > 1 && slices % 2 == 1 {
                slices += 1;
            }
            mh.div_ceil(slices) as u16
        };
        let header = StreamHeader::new(
            MediaKind::Video,
            params.transform.to_u8(),
            params.to_bytes(),
        );
        let writer = ContainerWriter::new(out, &header)?;
        let rate = match config.bitrate_kbps {
            Some(kbps) => RateControl::bitrate(kbps, params.frame_seconds(), config.key_qp_offset),
            None => RateControl::constant_quality(config.quality, config.key_qp_offset),
        };
        let analyser = Analyser::new(&params);
        Ok(VideoEncoder {
            writer,
            params,
            config: config.clone(),
            threads: thread_count(config.threads),
            reference: None,
            analyser,
            rate,
            frames: 0,
            keyframes: 0,
            since_key: 0,
            reconstruction: None,
        })
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        &self.params
    }

    /// The decoder's output for the last frame coded.
    pub fn reconstruction(&self) -> Option<&YuvFrame> {
        self.reconstruction.as_ref()
    }

    /// Codes one frame into a packet, analysing it first on this thread.
    pub fn encode_frame(&mut self, frame: &YuvFrame) -> Result<FrameStats> {
        let planes = pad_frame(&self.params, frame)
            .map_err(|e| Error::InvalidArgument(format!("frame {}: {e}", self.frames)))?;
        let analysed = self.analyser.analyse(planes);
        self.encode_analysed(analysed)
    }

    /// Codes every frame `next_frame` gives until it gives `None`, with the lookahead on
    /// its own thread up to `config.lookahead` frames ahead of coding (inline when 0). An
    /// error on either side stops both; no thread outlives the call.
    pub fn encode_stream<F>(&mut self, mut next_frame: F) -> Result<()>
    where
        F: FnMut() -> Result<Option<YuvFrame>> + Send,
    {
        let depth = self.config.lookahead;
        if depth == 0 {
            while let Some(frame) = next_frame()? {
                self.encode_frame(&frame)?;
            }
            return Ok(());
        }
        // The coder needs `self` while the lookahead thread owns the analyser.
        let mut analyser = std::mem::replace(&mut self.analyser, Analyser::new(&self.params));
        let params = self.params.clone();
        let first = self.frames;
        let (send, receive) = crossbeam_channel::bounded::<Result<AnalysedFrame>>(depth);
        std::thread::scope(|scope| {
            let lookahead = scope.spawn(move || {
                let mut number = first;
                loop {
                    let item = match next_frame() {
                        Ok(Some(frame)) => pad_frame(&params, &frame)
                            .map_err(|e| Error::InvalidArgument(format!("frame {number}: {e}")))
                            .map(|planes| analyser.analyse(planes)),
                        Ok(None) => break,
                        Err(e) => Err(e),
                    };
                    let failed = item.is_err();
                    // A closed channel means the coder stopped: so do we.
                    if send.send(item).is_err() || failed {
                        break;
                    }
                    number += 1;
                }
                analyser
            });
            let mut coded = Ok(());
            for item in receive.iter() {
                if let Err(e) = item.and_then(|frame| self.encode_analysed(frame)) {
                    coded = Err(e);
                    break;
                }
            }
            drop(receive);
            match lookahead.join() {
                Ok(analyser) => {
                    self.analyser = analyser;
                    coded
                }
                Err(_) => Err(Error::InvalidArgument(
                    "the video lookahead thread panicked".into(),
                )),
            }
        })
    }

    /// Codes one analysed frame (from [`lookahead::Analyser::analyse`], in order) into a
    /// packet.
    pub fn encode_analysed(&mut self, frame: AnalysedFrame) -> Result<FrameStats> {
        let AnalysedFrame {
            planes: src,
            analysis,
        } = frame;
        let mut key = self.reference.is_none()
            || (self.config.keyint > 0 && self.since_key >= self.config.keyint)
            || (self.config.scene_cut && analysis.is_scene_cut());
        let mut qp = self.rate.next_qp(key);
        let mut coded = self.code(&src, key, qp, &analysis.mvs)?;
        let total_mbs = {
            let (w, h) = self.params.mb_grid();
            w * h
        };
        if !key && self.config.scene_cut && coded.1.intra_mbs * 10 > total_mbs * 6 {
            key = true;
            qp = self.rate.next_qp(true);
            coded = self.code(&src, key, qp, &analysis.mvs)?;
        }
        if self.rate.is_bitrate() {
            let target = self.rate.target_bits(key);
            let bits = packet_bits(coded.0.len());
            if (bits - target).abs() > 0.3 * target {
                let retry = self.rate.retry_qp(key, qp, bits, target);
                if retry != qp {
                    qp = retry;
                    coded = self.code(&src, key, qp, &analysis.mvs)?;
                }
            }
        }
        let (payload, reference) = coded;
        self.writer.write_packet(key, &payload)?;
        self.rate.update(key, qp, packet_bits(payload.len()));
        self.reconstruction = Some(crop_frame(&self.params, &reference.reference.planes));
        let stats = FrameStats {
            keyframe: key,
            qp,
            bytes: payload.len(),
            intra_mbs: reference.intra_mbs,
            split_mbs: reference.split_mbs,
        };
        self.reference = Some(reference.reference);
        self.frames += 1;
        if key {
            self.keyframes += 1;
            self.since_key = 1;
        } else {
            self.since_key += 1;
        }
        Ok(stats)
    }

    /// Codes a frame as asked: its payload and its reconstruction (deblocked).
    fn code(&self, src: &[Plane], key: bool, qp: u8, lookahead: &[Mv]) -> Result<(Vec<u8>, Coded)> {
        let params = &self.params;
        let setup = FrameSetup {
            params,
            intra: key,
            qp,
            reference: if key { None } else { self.reference.as_ref() },
            lookahead,
        };
        let mut recon: Vec<Plane> = (0..params.chroma.plane_count())
            .map(|p| {
                let (w, h) = params.padded_plane(p);
                Plane::filled(w, h, 0)
            })
            .collect();
        let tuning = self.config.tuning;
        let outputs = {
            let rows = slice_rows(params, &mut recon);
            run_slices(rows, self.threads, |s, r| {
                SliceEncoder::new(&setup, src, s, tuning).encode(r)
            })?
        };
        let mut payload = Vec::new();
        payload.push(key as u8);
        payload.push(qp);
        payload.extend_from_slice(&(self.frames as u32).to_le_bytes());
        payload.extend_from_slice(&(outputs.len() as u16).to_le_bytes());
        for o in &outputs {
            payload.extend_from_slice(&(o.bytes.len() as u32).to_le_bytes());
            payload.extend_from_slice(&o.bytes);
        }
        let intra_mbs = outputs.iter().map(|o| o.intra_mbs).sum();
        let split_mbs = outputs.iter().map(|o| o.split_mbs).sum();
        let reference = make_reference(params, recon, &outputs, qp, Some(self.threads));
        Ok((
            payload,
            Coded {
                reference,
                intra_mbs,
                split_mbs,
            },
        ))
    }

    /// Writes the end-of-stream packet (the frame count, u64) and returns the output.
    pub fn finish(self) -> Result<(W, VideoSummary)> {
        let bytes_before = self.writer.bytes_written();
        let out = self.writer.finish(&self.frames.to_le_bytes())?;
        Ok((
            out,
            VideoSummary {
                params: self.params,
                frames: self.frames,
                keyframes: self.keyframes,
                bytes: bytes_before + 8 + crate::container::PACKET_OVERHEAD_BYTES as u64,
            },
        ))
    }
}

struct Coded {
    reference: Reference,
    intra_mbs: usize,
    split_mbs: usize,
}

/// The video decoder proper: payloads in, frames out.
pub struct VideoDecoder {
    params: VideoParams,
    threads: usize,
    reference: Option<Reference>,
    last: Option<YuvFrame>,
    waiting_for_key: bool,
}

impl VideoDecoder {
    /// A decoder for a stream with these parameters.
    pub fn new(params: VideoParams, threads: usize) -> VideoDecoder {
        VideoDecoder {
            params,
            threads: thread_count(threads),
            reference: None,
            last: None,
            waiting_for_key: false,
        }
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        &self.params
    }

    /// True while inter frames are being concealed until the next keyframe.
    pub fn waiting_for_key(&self) -> bool {
        self.waiting_for_key
    }

    /// Decodes one frame payload. On an error the caller should [`VideoDecoder::conceal`].
    pub fn decode(&mut self, payload: &[u8]) -> Result<YuvFrame> {
        let params = &self.params;
        if payload.len() < FRAME_HEADER_BYTES {
            return Err(Error::invalid(format!(
                "frame payload of {} bytes, at least {FRAME_HEADER_BYTES} expected",
                payload.len()
            )));
        }
        let key = match payload[0] {
            0 => false,
            1 => true,
            t => return Err(Error::invalid(format!("frame type {t}, expected 0 or 1"))),
        };
        let qp = payload[1];
        if qp > MAX_QP {
            return Err(Error::invalid(format!(
                "quantizer index {qp}, at most {MAX_QP}"
            )));
        }
        let number = u32::from_le_bytes([payload[2], payload[3], payload[4], payload[5]]);
        let slices = u16::from_le_bytes([payload[6], payload[7]]) as usize;
        if slices != params.slice_count() {
            return Err(Error::invalid(format!(
                "frame {number}: {slices} slices, the header says {}",
                params.slice_count()
            )));
        }
        if !key && (self.reference.is_none() || self.waiting_for_key) {
            return Err(Error::invalid(format!(
                "frame {number}: inter frame without a good reference (waiting for a keyframe)"
            )));
        }
        let mut parts = Vec::with_capacity(slices);
        let mut at = FRAME_HEADER_BYTES;
        for s in 0..slices {
            let len = payload
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .ok_or_else(|| {
                    Error::invalid(format!("frame {number}: slice {s} length missing"))
                })?;
            let data = payload.get(at + 4..at + 4 + len).ok_or_else(|| {
                Error::invalid(format!(
                    "frame {number}: slice {s} is {len} bytes, past the payload"
                ))
            })?;
            parts.push(data);
            at += 4 + len;
        }
        let setup = FrameSetup {
            params,
            intra: key,
            qp,
            reference: if key { None } else { self.reference.as_ref() },
            lookahead: &[],
        };
        let mut recon: Vec<Plane> = (0..params.chroma.plane_count())
            .map(|p| {
                let (w, h) = params.padded_plane(p);
                Plane::filled(w, h, 0)
            })
            .collect();
        let results = {
            let rows = slice_rows(params, &mut recon);
            run_slices(rows, self.threads, |s, r| {
                decode_slice(&setup, s, parts[s], r)
            })?
        };
        let outputs = results
            .into_iter()
            .collect::<Result<Vec<_>>>()
            .map_err(|e| Error::invalid(format!("frame {number}: {e}")))?;
        let reference = make_reference(params, recon, &outputs, qp, None);
        let frame = crop_frame(params, &reference.planes);
        self.reference = Some(reference);
        self.last = Some(frame.clone());
        self.waiting_for_key = false;
        Ok(frame)
    }

    /// A stand-in for a lost frame: the last good frame (mid-grey before any), and inter
    /// frames are concealed too until the next keyframe.
    pub fn conceal(&mut self) -> YuvFrame {
        self.waiting_for_key = true;
        match &self.last {
            Some(f) => f.clone(),
            None => YuvFrame::filled(
                self.params.width as usize,
                self.params.height as usize,
                self.params.chroma,
                128,
            ),
        }
    }
}

/// Frames a second of stream time counts as at most, for [`Limits::max_concealed_seconds`].
pub const MAX_CONCEALED_FPS: u64 = 300;

/// One frame out of [`VideoStreamDecoder`].
#[derive(Debug, Clone)]
pub struct DecodedFrame {
    pub frame: YuvFrame,
    /// The frame is a stand-in for a lost or undecodable one.
    pub concealed: bool,
    /// What went wrong, when concealed.
    pub problem: Option<String>,
}

/// Reads a video stream and yields its frames, concealing damage.
pub struct VideoStreamDecoder<R: Read> {
    reader: ContainerReader<R>,
    decoder: VideoDecoder,
    /// Concealed frames still to emit for lost packets, with the reason.
    pending_lost: u64,
    /// Most stand-ins for one gap: [`Limits::max_concealed_seconds`] of frames.
    max_run: u64,
    pending_reason: String,
    damage: Vec<String>,
    truncated: bool,
}

impl<R: Read> VideoStreamDecoder<R> {
    /// Reads the stream header; fails unless it is a video stream.
    pub fn new(input: R, limits: Limits, threads: usize) -> Result<Self> {
        let reader = ContainerReader::new(input, limits)?;
        let header = reader.header();
        if header.media != MediaKind::Video {
            return Err(Error::Unsupported(format!(
                "the stream holds {}, not video",
                header.media.name()
            )));
        }
        let transform = TransformId::from_u8(header.transform)?;
        let params = VideoParams {
            transform,
            ..VideoParams::from_bytes(&header.params, &limits)?
        };
        let seconds = limits.max_concealed_seconds as u64;
        let frames = (seconds as f64 / params.frame_seconds()).ceil();
        let max_run = (frames.min((seconds * MAX_CONCEALED_FPS) as f64) as u64).max(1);
        Ok(VideoStreamDecoder {
            reader,
            max_run,
            decoder: VideoDecoder::new(params, threads),
            pending_lost: 0,
            pending_reason: String::new(),
            damage: Vec::new(),
            truncated: false,
        })
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        self.decoder.params()
    }

    /// Most stand-in frames the decoder emits for one gap in the packet sequence.
    pub fn max_concealed_run(&self) -> u64 {
        self.max_run
    }

    /// Damage reports so far.
    pub fn damage(&self) -> &[String] {
        &self.damage
    }

    /// True when the stream ended with its end-of-stream packet.
    pub fn is_complete(&self) -> bool {
        self.reader.is_complete()
    }

    /// The frame count from the end-of-stream packet, once read.
    pub fn frame_count(&self) -> Option<u64> {
        self.reader
            .end_payload()
            .and_then(|p| p.get(..8))
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// The next frame, or `Ok(None)` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<DecodedFrame>> {
        loop {
            if self.pending_lost > 0 {
                self.pending_lost -= 1;
                return Ok(Some(DecodedFrame {
                    frame: self.decoder.conceal(),
                    concealed: true,
                    problem: Some(self.pending_reason.clone()),
                }));
            }
            let Some(event) = self.reader.next_event()? else {
                return Ok(None);
            };
            match event {
                ReadEvent::Packet(packet) => {
                    if !packet.keyframe && self.decoder.waiting_for_key() {
                        return Ok(Some(DecodedFrame {
                            frame: self.decoder.conceal(),
                            concealed: true,
                            problem: Some(format!(
                                "packet {}: inter frame after damage, concealed until the next keyframe",
                                packet.sequence
                            )),
                        }));
                    }
                    return Ok(Some(match self.decoder.decode(&packet.payload) {
                        Ok(frame) => DecodedFrame {
                            frame,
                            concealed: false,
                            problem: None,
                        },
                        Err(e) => {
                            let text = format!("packet {}: {e}", packet.sequence);
                            self.damage.push(text.clone());
                            DecodedFrame {
                                frame: self.decoder.conceal(),
                                concealed: true,
                                problem: Some(text),
                            }
                        }
                    }));
                }
                ReadEvent::Damaged(d) => {
                    self.damage.push(d.to_string());
                    if d.is_truncation() {
                        self.truncated = true;
                    }
                    let lost = d.lost_sequences.end.saturating_sub(d.lost_sequences.start) as u64;
                    if lost > 0 {
                        // A forged gap must not turn into an endless run of stand-ins.
                        self.pending_lost = lost.min(self.max_run);
                        self.pending_reason = d.to_string();
                    }
                    self.decoder.waiting_for_key = true;
                }
            }
        }
    }
}

/// Bits a frame takes in the stream: its payload plus the container's packet overhead.
fn packet_bits(payload_bytes: usize) -> f64 {
    (payload_bytes + crate::container::PACKET_OVERHEAD_BYTES) as f64 * 8.0
}
