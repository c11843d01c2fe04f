//! The video encoder: Y4M frames in, a quanta video stream out (a header, one packet per
//! frame, a closing packet).
//!
//! In: frames (padded here to whole macroblocks), either one at a time
//! ([`VideoEncoder::encode_frame`]) or pulled from a source with the lookahead on its own
//! thread ([`VideoEncoder::encode_stream`]). Out: per frame a packet and its statistics,
//! and the reconstruction the decoder will output. Each frame is a keyframe (first frame,
//! every `keyint` frames, scene cuts) or an inter frame predicted from the previous
//! reconstruction; the rate control picks its quantizer index, the slices are coded in
//! parallel ([`super::slice::SliceEncoder`]) and the deblocked reconstruction becomes the
//! next reference.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;

use super::coder::{packet_bits, vbv_qp, Coded, Done, FrameCoder, Job, Kind};
use super::frame::{crop_frame, push_reference, thread_count, Reference};
use super::keyframe;
use super::lookahead::{AnalysedFrame, Analyser};
use super::params::{self, VideoParams};
use super::qp::MAX_QP;
use super::rate::{self, RateControl, Vbv};
use super::tuning::Tuning;
use crate::container::{ContainerWriter, MediaKind, StreamHeader};
use crate::error::{Error, Limits, Result};
use crate::media::y4m::{Y4mHeader, YuvFrame};
use crate::signal::Plane;
use crate::transform::TransformId;

/// Everything the video encoder can be asked to do.
#[derive(Debug, Clone)]
pub struct VideoEncoderConfig {
    /// 0..=100, used when `bitrate_kbps` and `fine_qp` are `None`.
    pub quality: u8,
    /// Constant quality at a fractional quantizer index (0 to 51) instead of `quality`: the
    /// finer knob the target-quality search drives (see [`RateControl::constant_fine`]).
    /// Ignored under `bitrate_kbps`.
    pub fine_qp: Option<f64>,
    /// Average bitrate in kbit/s.
    pub bitrate_kbps: Option<u32>,
    /// A buffer bound on top of any mode: (maximum rate in kbit/s, buffer size in kbit) of
    /// the decoder buffer model [`rate::Vbv`]. Frames are coded coarser where they would
    /// take more bits than the buffer holds.
    pub vbv: Option<(u32, u32)>,
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
    /// Inter frames follow [`rate::INTER_QP_PATTERN`] around the mode's quantizer index
    /// (every eighth frame finer); off, every inter frame takes the mode's index.
    pub qp_pattern: bool,
    /// Reference frames an inter frame may predict from (1 to [`params::MAX_REFS`]): the
    /// frames coded last since the keyframe; each inter macroblock names its own.
    pub refs: u8,
    /// Inter macroblocks may be cut into two 16×8 or 8×16 halves, each with its own vector
    /// (signalled in the stream; tried where the 8×8 split search finds different vectors).
    pub halves: bool,
    /// With several references, the last place of the list keeps the finer of the frames
    /// competing for it (the frame of the quantizer pattern's finest place stays longer)
    /// instead of the newest (signalled in the stream).
    pub finest_ref: bool,
    /// Inter frames' macroblocks take quantizer offsets from the lookahead (finer where the
    /// content stays and later frames will predict from it; see
    /// [`super::lookahead::FrameAnalysis::qp_offsets`]), signalled per macroblock; needs
    /// `block_residuals`. The offsets' strength is [`Tuning::mb_qp_strength`].
    pub mb_qp: bool,
    /// Most B-frames in a row (0 to [`params::MAX_BFRAMES`]; 0 codes every frame on arrival,
    /// as a keyframe or P-frame). A B-frame is predicted from the anchors (keyframes or
    /// P-frames) shown before and after it, per macroblock from either or the average of
    /// both, and coded after the later one; only [`VideoEncoder::encode_stream`] codes
    /// them ([`VideoEncoder::encode_frame`] and the packet encoder code each frame on
    /// arrival).
    pub bframes: u8,
    /// B-frames are coded this many quantizer indices coarser than their anchors: no
    /// frame predicts from them.
    pub b_qp_offset: u8,
    /// Macroblock rows per slice (0 = chosen from the picture height).
    pub slice_rows: u16,
    /// The residual block transform (any member of the family; the exact DCT by default).
    pub transform: TransformId,
    /// Code keyframes with the block coder where the stream allows it (the exact DCT, and
    /// 4:2:0, 4:4:4 or luma only; see [`keyframe`]); else with the macroblock syntax.
    pub block_keyframes: bool,
    /// Code the residuals of inter macroblocks with the block coder's transforms (16×16,
    /// 8×8 or 4×4 luma) and coefficient syntax where the stream allows it (as for
    /// `block_keyframes`; see [`super::tx`]); else as 8×8 blocks of the picture syntax.
    pub block_residuals: bool,
    pub tuning: Tuning,
}

impl Default for VideoEncoderConfig {
    fn default() -> Self {
        VideoEncoderConfig {
            quality: 60,
            fine_qp: None,
            bitrate_kbps: None,
            vbv: None,
            keyint: 250,
            scene_cut: true,
            lookahead: 4,
            deblock: true,
            threads: 0,
            key_qp_offset: rate::KEY_QP_OFFSET,
            qp_pattern: true,
            refs: 4,
            halves: true,
            finest_ref: true,
            mb_qp: true,
            bframes: 3,
            b_qp_offset: rate::B_QP_OFFSET,
            slice_rows: 0,
            transform: TransformId::Dct,
            block_keyframes: true,
            block_residuals: true,
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
        if let Some(qp) = self.fine_qp {
            if !(qp.is_finite() && (0.0..=MAX_QP as f64).contains(&qp)) {
                return Err(Error::InvalidArgument(format!(
                    "quantizer index {qp} is not in 0..{MAX_QP}"
                )));
            }
        }
        if let Some((maxrate, bufsize)) = self.vbv {
            // The per-frame check needs the frame rate: see `VideoEncoder::new`.
            rate::Vbv::new(maxrate, bufsize, 0.0)?;
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
        if !(1..=params::MAX_REFS).contains(&self.refs) {
            return Err(Error::InvalidArgument(format!(
                "{} reference frames, expected 1 to {}",
                self.refs,
                params::MAX_REFS
            )));
        }
        if self.bframes > params::MAX_BFRAMES {
            return Err(Error::InvalidArgument(format!(
                "{} B-frames, at most {}",
                self.bframes,
                params::MAX_BFRAMES
            )));
        }
        if self.b_qp_offset > 24 {
            return Err(Error::InvalidArgument(format!(
                "B-frame quantizer offset {} is not in 0..24",
                self.b_qp_offset
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

/// Statistics of one coded frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameStats {
    pub keyframe: bool,
    /// A B-frame (no frame predicts from it).
    pub b_frame: bool,
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

/// Streaming video encoder: a header at creation, one packet per frame, a closing packet.
pub struct VideoEncoder<W: Write> {
    writer: ContainerWriter<W>,
    header: StreamHeader,
    params: VideoParams,
    config: VideoEncoderConfig,
    threads: usize,
    /// The references of the next inter frame, newest first (at most `params.refs`).
    references: Vec<Arc<Reference>>,
    /// Frames received and not coded yet, in display order, with their numbers: the
    /// B-frames of the next group and, last, its anchor.
    pending: VecDeque<(u64, AnalysedFrame)>,
    /// The B-frames between the two newest anchors, coded beside the next anchor.
    waiting: Option<WaitingB>,
    /// Frames received so far: the next one's number in display order.
    received: u64,
    /// The display number of the newest anchor (keyframe or P-frame).
    anchor_number: u64,
    /// The lookahead's state (moved to the lookahead thread during
    /// [`VideoEncoder::encode_stream`] and back).
    analyser: Analyser,
    rate: RateControl,
    /// The buffer bound, when one was asked for.
    vbv: Option<Vbv>,
    frames: u64,
    keyframes: u64,
    since_key: u32,
    reconstruction: Option<YuvFrame>,
    /// Every frame's reconstruction with its display number, when asked for
    /// ([`VideoEncoder::keep_reconstructions`]).
    kept: Option<Vec<(u64, YuvFrame)>>,
    /// Coded packets handed out instead of written, in coding order, when asked for
    /// ([`VideoEncoder::hand_out_packets`]).
    outbox: Option<VecDeque<HandedPacket>>,
    /// B-frames are coded right after their anchor rather than beside the next one.
    in_turn: bool,
}

/// A coded frame handed out by a packet-level encoder.
pub(super) struct HandedPacket {
    /// Display number.
    pub number: u64,
    /// Place in coding order.
    pub index: u64,
    pub stats: FrameStats,
    pub payload: Vec<u8>,
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
        params.refs = config.refs;
        params.bframes = config.bframes;
        params.transform = config.transform;
        params.flags = if config.deblock {
            params::FLAG_DEBLOCK
        } else {
            0
        };
        if config.block_keyframes
            && keyframe::block_keyframes_possible(source.chroma, config.transform)
        {
            params.flags |= params::FLAG_BLOCK_KEYFRAMES;
        }
        if config.block_residuals
            && keyframe::block_keyframes_possible(source.chroma, config.transform)
        {
            params.flags |= params::FLAG_BLOCK_RESIDUALS;
        }
        if config.halves {
            params.flags |= params::FLAG_HALVES;
        }
        if config.finest_ref {
            params.flags |= params::FLAG_FINEST_REF;
        }
        if config.mb_qp && params.flags & params::FLAG_BLOCK_RESIDUALS != 0 {
            params.flags |= params::FLAG_MB_QP;
        }
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
            None => match config.fine_qp {
                Some(qp) => RateControl::constant_fine(qp, config.key_qp_offset),
                None => RateControl::constant_quality(config.quality, config.key_qp_offset),
            },
        }
        .with_pattern(config.qp_pattern);
        let vbv = match config.vbv {
            Some((maxrate, bufsize)) => Some(Vbv::new(maxrate, bufsize, params.frame_seconds())?),
            None => None,
        };
        let analyser = Analyser::new(&params);
        Ok(VideoEncoder {
            writer,
            header,
            params,
            config: config.clone(),
            threads: thread_count(config.threads),
            references: Vec::new(),
            pending: VecDeque::new(),
            waiting: None,
            received: 0,
            anchor_number: 0,
            analyser,
            rate,
            vbv,
            frames: 0,
            keyframes: 0,
            since_key: 0,
            reconstruction: None,
            kept: None,
            outbox: None,
            in_turn: false,
        })
    }

    /// The stream parameters.
    pub fn params(&self) -> &VideoParams {
        &self.params
    }

    /// The decoder's output for the last frame coded (in coding order: with B-frames, not
    /// always the last frame sent).
    pub fn reconstruction(&self) -> Option<&YuvFrame> {
        self.reconstruction.as_ref()
    }

    /// Keeps the decoder's output of every frame coded from now on, for
    /// [`VideoEncoder::take_reconstructions`].
    pub fn keep_reconstructions(&mut self) {
        self.kept.get_or_insert_with(Vec::new);
    }

    /// The kept reconstructions coded since the last call, in display order, each with its
    /// number in display order.
    pub fn take_reconstructions(&mut self) -> Vec<(u64, YuvFrame)> {
        let mut out = self.kept.as_mut().map(std::mem::take).unwrap_or_default();
        out.sort_by_key(|(n, _)| *n);
        out
    }

    /// Codes one frame into a packet now, analysing it first on this thread: a keyframe or
    /// a P-frame (frames held for B-frames by [`VideoEncoder::encode_stream`] are coded
    /// first).
    pub fn encode_frame(&mut self, frame: &YuvFrame) -> Result<FrameStats> {
        self.flush_all()?;
        let (stats, payload) = self.code_frame(frame)?;
        self.writer.write_packet(stats.keyframe, &payload)?;
        Ok(stats)
    }

    /// Codes every frame `next_frame` gives until it gives `None` (B-frames in groups of up
    /// to `config.bframes`, the last group shortened at the end), with the lookahead on
    /// its own thread up to `config.lookahead` frames ahead of coding (inline when 0, or
    /// on one thread: `threads` 1 keeps the whole encode on the calling thread). An error
    /// on either side stops both; no thread outlives the call.
    pub fn encode_stream<F>(&mut self, mut next_frame: F) -> Result<()>
    where
        F: FnMut() -> Result<Option<YuvFrame>> + Send,
    {
        let depth = self.config.lookahead;
        if depth == 0 || self.threads == 1 {
            while let Some(frame) = next_frame()? {
                let planes = pad_frame(&self.params, &frame)
                    .map_err(|e| Error::InvalidArgument(format!("frame {}: {e}", self.received)))?;
                let analysed = self.analyser.analyse(planes);
                self.push_analysed(analysed)?;
            }
            return self.flush_all();
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
                if let Err(e) = item.and_then(|frame| self.push_analysed(frame)) {
                    coded = Err(e);
                    break;
                }
            }
            if coded.is_ok() {
                coded = self.flush_all();
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

    /// Takes the next analysed frame (from [`Analyser::analyse`], in display order): codes
    /// it now (a keyframe, or every frame without B-frames), or holds it until its group
    /// is complete, then codes the group's anchor ([`VideoEncoder::flush_group`]).
    fn push_analysed(&mut self, frame: AnalysedFrame) -> Result<()> {
        if self.config.bframes == 0 || self.planned_key(&frame) {
            self.flush_all()?;
            let number = self.received;
            let (stats, payload) = self.code_now(frame)?;
            return self.emit(number, stats, payload);
        }
        let number = self.received;
        self.received += 1;
        self.since_key += 1;
        self.pending.push_back((number, frame));
        if self.pending.len() > self.config.bframes as usize {
            self.flush_group()?;
        }
        Ok(())
    }

    /// Whether the next frame is to be a keyframe: the first, the keyframe interval's, or
    /// a scene cut the lookahead found.
    fn planned_key(&self, frame: &AnalysedFrame) -> bool {
        (self.references.is_empty() && self.pending.is_empty())
            || (self.config.keyint > 0 && self.since_key >= self.config.keyint)
            || (self.config.scene_cut && frame.analysis.is_scene_cut())
    }

    /// Codes everything held: the held group (its last frame as its anchor) and every
    /// waiting B-frame.
    fn flush_all(&mut self) -> Result<()> {
        self.flush_group()?;
        self.flush_group()
    }

    /// Codes the held group's last frame as its anchor (a P-frame) and, beside it, the
    /// B-frames waiting between the two anchors before it; writes those B-frames, then the
    /// anchor, and keeps the group's other frames waiting as B-frames between the two
    /// newest anchors. Without a held group it codes the waiting B-frames alone.
    ///
    /// The anchor predicts from anchors only, so it and the waiting B-frames are coded side
    /// by side (frame-level threading). Every quantizer index is chosen before any of them
    /// is coded (the anchor's without the waiting B-frames' sizes), so the bytes are the
    /// same on any number of threads. Under a buffer bound each index depends on the frame
    /// before it: the B-frames are then coded right after their anchor, one at a time.
    fn flush_group(&mut self) -> Result<()> {
        if self.vbv.is_some() || self.in_turn {
            return self.flush_group_in_turn();
        }
        let earlier = (self.references.first().cloned(), self.anchor_number);
        let waiting = self.waiting.take();
        let b_count = waiting.as_ref().map_or(0, |w| w.frames.len()) as u64;
        let mut jobs = Vec::new();
        let anchored = match self.pending.pop_back() {
            Some((number, frame)) => {
                let kind = self.anchor_kind();
                let job = self.plan(frame, number, (kind, b_count as u8), self.frames + b_count);
                jobs.push(job);
                true
            }
            None => false,
        };
        if let Some(mut w) = waiting {
            let frames = std::mem::take(&mut w.frames);
            for (k, (n, frame)) in frames.into_iter().enumerate() {
                let kind = Kind::B(w.anchors.clone(), w.distances(n));
                let job = self.plan(frame, n, (kind, 0), self.frames + k as u64);
                jobs.push(job);
            }
        }
        let done = self.coder().code_jobs(&jobs, self.threads)?;
        let mut results = jobs.into_iter().zip(done);
        let anchor = if anchored { results.next() } else { None };
        for (job, done) in results {
            self.book(job.number, true, done)?;
        }
        if let Some((job, done)) = anchor {
            self.book(job.number, false, done)?;
        }
        self.hold_b_frames(earlier)
    }

    /// [`VideoEncoder::flush_group`] under a buffer bound, or for a packet-level encoder:
    /// the anchor, then its B-frames, each index chosen after the frame before it is booked.
    fn flush_group_in_turn(&mut self) -> Result<()> {
        let earlier = (self.references.first().cloned(), self.anchor_number);
        if let Some((number, frame)) = self.pending.pop_back() {
            let kind = self.anchor_kind();
            let job = self.plan(frame, number, (kind, 0), self.frames);
            let done = self.coder().code_job(&job, self.threads)?;
            self.book(number, false, done)?;
        }
        self.hold_b_frames(earlier)?;
        if let Some(mut w) = self.waiting.take() {
            for (n, frame) in std::mem::take(&mut w.frames) {
                let kind = Kind::B(w.anchors.clone(), w.distances(n));
                let job = self.plan(frame, n, (kind, 0), self.frames);
                let done = self.coder().code_job(&job, self.threads)?;
                self.book(n, true, done)?;
            }
        }
        Ok(())
    }

    /// How the held group's last frame is coded: a group of one may turn into a keyframe
    /// (B-frames never predict across one); a group with B-frames has a P-frame anchor.
    fn anchor_kind(&self) -> Kind {
        if self.pending.is_empty() {
            Kind::Inter
        } else {
            Kind::Anchor
        }
    }

    /// Moves the held frames (those before the anchor just coded) to wait as B-frames
    /// between the anchor before it (`earlier`: its reference and display number) and it.
    fn hold_b_frames(&mut self, earlier: (Option<Arc<Reference>>, u64)) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let (Some(e), Some(l)) = (earlier.0, self.references.first().cloned()) else {
            return Err(Error::InvalidArgument(
                "B-frames without two anchors (an encoder bug)".into(),
            ));
        };
        self.waiting = Some(WaitingB {
            frames: self.pending.drain(..).collect(),
            anchors: [e, l],
            numbers: (earlier.1, self.anchor_number),
        });
        Ok(())
    }

    /// Decides how a frame is coded before coding it: its quantizer index (and, for a
    /// P-frame, the B-frames its group brings and the `unbooked` B-frames coded beside it,
    /// for bitrate control) and its macroblocks' offsets. `index` is its place in coding
    /// order.
    fn plan(
        &mut self,
        frame: AnalysedFrame,
        number: u64,
        (kind, unbooked): (Kind, u8),
        index: u64,
    ) -> Job {
        let key = matches!(kind, Kind::Key);
        let qp = match kind {
            Kind::B(..) => {
                let qp = self.rate.next_qp_b(index, self.config.b_qp_offset);
                vbv_qp(self.vbv.as_ref(), &self.rate, false, qp)
            }
            _ => {
                let following = match kind {
                    Kind::Anchor => self.pending.len() as u8,
                    _ => 0,
                };
                self.rate.set_group(following, unbooked);
                let qp = self.rate.next_qp(key, index);
                vbv_qp(self.vbv.as_ref(), &self.rate, key, qp)
            }
        };
        let offsets = if self.params.flags & params::FLAG_MB_QP != 0 {
            frame.analysis.qp_offsets(self.config.tuning.mb_qp_strength)
        } else {
            Vec::new()
        };
        Job {
            number,
            index,
            frame,
            kind,
            qp,
            offsets,
        }
    }

    /// What coding a frame needs of the encoder, shareable between threads.
    fn coder(&self) -> FrameCoder<'_> {
        FrameCoder {
            params: &self.params,
            tuning: self.config.tuning,
            references: &self.references,
            rate: &self.rate,
            vbv: self.vbv.as_ref(),
            scene_cut: self.config.scene_cut,
        }
    }

    /// Books a coded frame ([`VideoEncoder::record`]) and writes its packet.
    fn book(&mut self, number: u64, b_frame: bool, (key, qp, coded): Done) -> Result<()> {
        let (stats, payload) = self.record(number, (key, b_frame), qp, coded);
        self.emit(number, stats, payload)
    }

    /// Writes the packet of the frame just booked (display number `number`), or hands it
    /// out when asked to.
    fn emit(&mut self, number: u64, stats: FrameStats, payload: Vec<u8>) -> Result<()> {
        match &mut self.outbox {
            Some(outbox) => {
                outbox.push_back(HandedPacket {
                    number,
                    index: self.frames - 1,
                    stats,
                    payload,
                });
                Ok(())
            }
            None => self.writer.write_packet(stats.keyframe, &payload),
        }
    }

    /// From now on, coded packets are handed out ([`VideoEncoder::take_packet`]) instead
    /// of written, and B-frames are coded right after their anchor (the least delay).
    pub(super) fn hand_out_packets(&mut self) {
        self.outbox.get_or_insert_with(VecDeque::new);
        self.in_turn = true;
    }

    /// The next packet handed out, in coding order.
    pub(super) fn take_packet(&mut self) -> Option<HandedPacket> {
        self.outbox.as_mut()?.pop_front()
    }

    /// Takes the next frame in display order: analyses it here and codes what it completes
    /// (B-frames wait for their anchor).
    pub(super) fn push_frame(&mut self, frame: &YuvFrame) -> Result<()> {
        let planes = pad_frame(&self.params, frame)
            .map_err(|e| Error::InvalidArgument(format!("frame {}: {e}", self.received)))?;
        let analysed = self.analyser.analyse(planes);
        self.push_analysed(analysed)
    }

    /// Codes every frame still held for B-frames.
    pub(super) fn flush_held(&mut self) -> Result<()> {
        self.flush_all()
    }

    /// Codes one frame into a packet payload now, without writing it (the packet encoder
    /// hands the payload out instead).
    pub(super) fn code_frame(&mut self, frame: &YuvFrame) -> Result<(FrameStats, Vec<u8>)> {
        let planes = pad_frame(&self.params, frame)
            .map_err(|e| Error::InvalidArgument(format!("frame {}: {e}", self.received)))?;
        let analysed = self.analyser.analyse(planes);
        self.code_now(analysed)
    }

    /// Codes the next frame now, as a keyframe or a P-frame.
    fn code_now(&mut self, frame: AnalysedFrame) -> Result<(FrameStats, Vec<u8>)> {
        let kind = if self.planned_key(&frame) {
            Kind::Key
        } else {
            Kind::Inter
        };
        let number = self.received;
        self.received += 1;
        self.since_key += 1;
        let job = self.plan(frame, number, (kind, 0), self.frames);
        let (key, qp, coded) = self.coder().code_job(&job, self.threads)?;
        Ok(self.record(number, (key, false), qp, coded))
    }

    /// The stream header written at creation.
    pub(super) fn header(&self) -> &StreamHeader {
        &self.header
    }

    /// Frames coded so far.
    pub(super) fn frames(&self) -> u64 {
        self.frames
    }

    /// Books a coded frame: rate control, buffer, reconstruction, statistics and, unless it
    /// is a B-frame, the reference list.
    fn record(
        &mut self,
        number: u64,
        (key, b_frame): (bool, bool),
        qp: u8,
        coded: (Vec<u8>, Coded),
    ) -> (FrameStats, Vec<u8>) {
        let (payload, reference) = coded;
        if b_frame {
            self.rate.update_b(packet_bits(payload.len()));
        } else {
            self.rate.update(key, qp, packet_bits(payload.len()));
        }
        if let Some(vbv) = &mut self.vbv {
            // A frame too large even at the coarsest index empties the buffer; the model
            // carries on from empty.
            vbv.take(packet_bits(payload.len()));
        }
        let output = crop_frame(&self.params, &reference.reference.planes);
        if let Some(kept) = &mut self.kept {
            kept.push((number, output.clone()));
        }
        self.reconstruction = Some(output);
        let stats = FrameStats {
            keyframe: key,
            b_frame,
            qp,
            bytes: payload.len(),
            intra_mbs: reference.intra_mbs,
            split_mbs: reference.split_mbs,
        };
        if !b_frame {
            let reference = Arc::new(reference.reference);
            push_reference(&mut self.references, reference, &self.params, key);
            self.anchor_number = number;
        }
        self.frames += 1;
        if key {
            self.keyframes += 1;
            self.since_key = 1;
        }
        (stats, payload)
    }

    /// Codes the frames still held for B-frames, writes the end-of-stream packet (the frame
    /// count, u64) and returns the output.
    pub fn finish(mut self) -> Result<(W, VideoSummary)> {
        self.flush_all()?;
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

/// B-frames whose two anchors are coded, waiting to be coded beside the next anchor.
struct WaitingB {
    /// In display order, with their numbers.
    frames: Vec<(u64, AnalysedFrame)>,
    /// The earlier anchor's reference, then the later's.
    anchors: [Arc<Reference>; 2],
    /// The anchors' display numbers.
    numbers: (u64, u64),
}

impl WaitingB {
    /// Frame `n`'s distances to its earlier and its later anchor.
    fn distances(&self, n: u64) -> (u32, u32) {
        ((n - self.numbers.0) as u32, (self.numbers.1 - n) as u32)
    }
}
