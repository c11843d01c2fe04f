//! Coding frames as the encoder planned them, one at a time or several side by side.
//!
//! In: [`Job`]s, each a frame with its kind (keyframe, P-frame, group anchor, B-frame) and
//! the quantizer index the rate control chose before any of them was coded. Out: per job
//! its payload, its reconstruction and its final kind and index (a P-frame may turn into
//! a keyframe at a scene cut, bitrate control may code a frame twice, a buffer bound may
//! code it coarser). Nothing here touches the encoder's state, so jobs that do not depend
//! on one another (the B-frames of one group and the anchor of the next) run on several
//! threads and give the same bytes as one after another.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::frame::{
    blank_planes, make_reference, run_slices, slice_rows, FrameSetup, PlaneRows, Reference,
    SliceOutput,
};
use super::keyframe;
use super::lookahead::AnalysedFrame;
use super::motion::Mv;
use super::params::VideoParams;
use super::qp::MAX_QP;
use super::rate::{RateControl, Vbv};
use super::slice::SliceEncoder;
use super::tuning::Tuning;
use crate::error::{Error, Result};
use crate::signal::Plane;

/// Under `--bitrate`, a frame whose bits miss its aim by more than this share is coded
/// again at the index the miss implies. 0.15 (rather than 0.3) kept every corpus clip
/// within 0.5 % of its target at 80 to 1200 kbit/s and 20- to 30-frame segments within
/// 3 %, for about a quarter more encoding time on the smaller clip.
const RETRY_MISS: f64 = 0.15;

/// A B-frame's anchors (the earlier first) and its distances to them.
pub(super) type BAnchors<'a> = (&'a [Arc<Reference>], (u32, u32));

/// How a frame is to be coded.
pub(super) enum Kind {
    Key,
    /// A P-frame, or a keyframe when most of its macroblocks chose intra.
    Inter,
    /// A P-frame B-frames will predict from (it stays one).
    Anchor,
    /// A B-frame between these anchors (the earlier first), at these distances.
    B([Arc<Reference>; 2], (u32, u32)),
}

/// A frame coded as asked: its deblocked reconstruction, the next reference, and counts.
pub(super) struct Coded {
    pub reference: Reference,
    pub intra_mbs: usize,
    pub split_mbs: usize,
}

/// One frame to code, with what was decided before coding.
pub(super) struct Job {
    /// The frame's place in display order.
    pub number: u64,
    /// Its place in coding order (the rate control's dither and pattern count these).
    pub index: u64,
    pub frame: AnalysedFrame,
    pub kind: Kind,
    pub qp: u8,
    /// The macroblocks' quantizer offsets (empty when the stream has none).
    pub offsets: Vec<i8>,
}

/// A job done: whether it became a keyframe, its final index, payload and reconstruction.
pub(super) type Done = (bool, u8, (Vec<u8>, Coded));

/// Bits a frame takes in the stream: its payload plus the container's packet overhead.
pub(super) fn packet_bits(payload_bytes: usize) -> f64 {
    (payload_bytes + crate::container::PACKET_OVERHEAD_BYTES) as f64 * 8.0
}

/// `qp`, or coarser where the complexity estimate says that a frame at `qp` would take
/// more than half of what the buffer bound holds.
pub(super) fn vbv_qp(vbv: Option<&Vbv>, rate: &RateControl, key: bool, qp: u8) -> u8 {
    match vbv {
        Some(vbv) => qp.max(rate.qp_within(key, 0.5 * vbv.available())),
        None => qp,
    }
}

/// What coding a frame needs of the encoder, shareable between threads.
pub(super) struct FrameCoder<'a> {
    pub params: &'a VideoParams,
    pub tuning: Tuning,
    /// The reference list of P-frames.
    pub references: &'a [Arc<Reference>],
    pub rate: &'a RateControl,
    pub vbv: Option<&'a Vbv>,
    /// Whether a P-frame mostly coded intra becomes a keyframe.
    pub scene_cut: bool,
}

impl FrameCoder<'_> {
    /// Codes a job: as planned, then corrected ([`FrameCoder::correct`]). `threads` code
    /// the frame's slices.
    pub fn code_job(&self, job: &Job, threads: usize) -> Result<Done> {
        let first = self.code(
            &job.frame.planes,
            (job.planned_key(), job.anchors()),
            job.qp,
            job.guide(),
            job.number,
            threads,
        )?;
        self.correct(job, first, threads)
    }

    /// Takes a job's first coding and codes it again where needed: as a keyframe when a
    /// lone P-frame chose intra for most macroblocks (scene cut), at a corrected index when
    /// bitrate control missed by more than [`RETRY_MISS`], and coarser while a buffer bound
    /// is exceeded.
    fn correct(&self, job: &Job, first: (Vec<u8>, Coded), threads: usize) -> Result<Done> {
        let src = &job.frame.planes;
        let mut key = job.planned_key();
        let b = job.anchors();
        let guide = job.guide();
        let mut qp = job.qp;
        let mut coded = first;
        let total_mbs = {
            let (w, h) = self.params.mb_grid();
            w * h
        };
        let may_become_key = matches!(job.kind, Kind::Inter);
        if may_become_key && self.scene_cut && coded.1.intra_mbs * 10 > total_mbs * 6 {
            key = true;
            qp = vbv_qp(
                self.vbv,
                self.rate,
                true,
                self.rate.next_qp(true, job.index),
            );
            coded = self.code(src, (key, None), qp, guide, job.number, threads)?;
        }
        if self.rate.is_bitrate() && b.is_none() {
            let target = self.rate.target_bits(key);
            let bits = packet_bits(coded.0.len());
            if (bits - target).abs() > RETRY_MISS * target {
                let retry = self.rate.retry_qp(key, qp, bits, target);
                if retry != qp {
                    qp = retry;
                    coded = self.code(src, (key, b), qp, guide, job.number, threads)?;
                }
            }
        }
        if let Some(vbv) = self.vbv {
            // Coarser while the frame would take more than the buffer holds.
            let room = vbv.available();
            while packet_bits(coded.0.len()) > room && qp < MAX_QP {
                let bits = packet_bits(coded.0.len());
                qp = self.rate.coarser_qp(key, qp, bits, 0.9 * room);
                coded = self.code(src, (key, b), qp, guide, job.number, threads)?;
            }
        }
        Ok((key, qp, coded))
    }

    /// Codes every job on up to `threads` threads; results in the order of `jobs`. With one
    /// job or one thread, one job at a time with its slices on the threads. Else the first
    /// codings of all jobs run side by side ([`FrameCoder::code_side_by_side`]) and the
    /// corrections, rarely needed, follow one job at a time.
    pub fn code_jobs(&self, jobs: &[Job], threads: usize) -> Result<Vec<Done>> {
        if jobs.len() <= 1 || threads <= 1 {
            return jobs.iter().map(|j| self.code_job(j, threads)).collect();
        }
        let firsts = self.code_side_by_side(jobs, threads)?;
        jobs.iter()
            .zip(firsts)
            .map(|(job, first)| self.correct(job, first, threads))
            .collect()
    }

    /// The first coding of every job, as planned. Each slice of each job is a task; `threads`
    /// workers take the tasks in order (the first job's slices first: the anchor, which
    /// takes longest), so that a frame of few slices still keeps every thread busy. Then
    /// each frame is assembled and deblocked. Slices are coded independently, so the bytes
    /// do not depend on which worker coded what.
    fn code_side_by_side(&self, jobs: &[Job], threads: usize) -> Result<Vec<(Vec<u8>, Coded)>> {
        let params = self.params;
        let setups: Vec<FrameSetup<'_>> = jobs
            .iter()
            .map(|j| self.setup(j.planned_key(), j.anchors(), j.qp, j.guide()))
            .collect();
        let mut recons: Vec<Vec<Plane>> = jobs.iter().map(|_| blank_planes(params, 0)).collect();
        let mut tasks = Vec::new();
        for (j, recon) in recons.iter_mut().enumerate() {
            for (s, rows) in slice_rows(params, recon).into_iter().enumerate() {
                tasks.push((j, s, rows));
            }
        }
        let coded = parallel_map(tasks, threads, |(j, s, mut rows)| {
            let job = &jobs[j];
            let key = job.planned_key();
            let out = self.code_slice(&setups[j], &job.frame.planes, key, s, &mut rows);
            (j, out)
        })?;
        let mut outputs: Vec<Vec<SliceOutput>> = jobs.iter().map(|_| Vec::new()).collect();
        for (j, out) in coded {
            outputs[j].push(out);
        }
        let frames: Vec<_> = jobs.iter().zip(recons).zip(outputs).collect();
        parallel_map(frames, threads, |((job, recon), outputs)| {
            let key = job.planned_key();
            let b = job.anchors().is_some();
            self.assemble((key, b), job.qp, job.number, recon, outputs, 1)
        })
    }

    /// What the slices of a frame coded as asked need to know.
    fn setup<'s>(
        &'s self,
        key: bool,
        b: Option<BAnchors<'s>>,
        qp: u8,
        (lookahead, qp_offsets): (&'s [Mv], &'s [i8]),
    ) -> FrameSetup<'s> {
        FrameSetup {
            params: self.params,
            intra: key,
            qp,
            references: match b {
                _ if key => &[],
                Some((anchors, _)) => anchors,
                None => self.references,
            },
            bidir: b.is_some(),
            anchor_distances: b.map_or((0, 0), |(_, d)| d),
            lookahead,
            qp_offsets,
        }
    }

    /// Codes one slice of a frame into its rows of the reconstruction.
    fn code_slice(
        &self,
        setup: &FrameSetup<'_>,
        src: &[Plane],
        key: bool,
        slice: usize,
        rows: &mut [PlaneRows<'_>],
    ) -> SliceOutput {
        if key && keyframe::uses_block_keyframes(self.params) {
            keyframe::encode_slice(setup, src, slice, &self.tuning, rows)
        } else {
            SliceEncoder::new(setup, src, slice, self.tuning).encode(rows)
        }
    }

    /// Codes a frame as asked (a keyframe, or a B-frame between these anchors at these
    /// distances, or else a P-frame) with its slices on `threads` threads: its payload and
    /// its reconstruction (deblocked). `guide` holds the lookahead's vectors and the
    /// macroblocks' quantizer offsets; `number` is the frame's place in display order.
    pub fn code(
        &self,
        src: &[Plane],
        (key, b): (bool, Option<BAnchors<'_>>),
        qp: u8,
        guide: (&[Mv], &[i8]),
        number: u64,
        threads: usize,
    ) -> Result<(Vec<u8>, Coded)> {
        let setup = self.setup(key, b, qp, guide);
        let mut recon = blank_planes(self.params, 0);
        let outputs = {
            let rows = slice_rows(self.params, &mut recon);
            run_slices(rows, threads, |s, r| {
                self.code_slice(&setup, src, key, s, r)
            })?
        };
        Ok(self.assemble((key, b.is_some()), qp, number, recon, outputs, threads))
    }

    /// A coded frame's payload (frame type, index, number, then each slice's length and
    /// bytes) and its deblocked reconstruction, with a search grid unless it is a B-frame
    /// (built on `threads` threads).
    fn assemble(
        &self,
        (key, b): (bool, bool),
        qp: u8,
        number: u64,
        recon: Vec<Plane>,
        outputs: Vec<SliceOutput>,
        threads: usize,
    ) -> (Vec<u8>, Coded) {
        let mut payload = Vec::new();
        let frame_type = if key {
            1
        } else if b {
            2
        } else {
            0
        };
        payload.push(frame_type);
        payload.push(qp);
        payload.extend_from_slice(&(number as u32).to_le_bytes());
        payload.extend_from_slice(&(outputs.len() as u16).to_le_bytes());
        for o in &outputs {
            payload.extend_from_slice(&(o.bytes.len() as u32).to_le_bytes());
            payload.extend_from_slice(&o.bytes);
        }
        let intra_mbs = outputs.iter().map(|o| o.intra_mbs).sum();
        let split_mbs = outputs.iter().map(|o| o.split_mbs).sum();
        // No frame predicts from a B-frame: it needs no search grid.
        let grid = (!b).then_some(threads);
        let reference = make_reference(self.params, recon, &outputs, qp, grid);
        (
            payload,
            Coded {
                reference,
                intra_mbs,
                split_mbs,
            },
        )
    }
}

impl Job {
    /// Whether it is planned as a keyframe (a P-frame may still become one).
    fn planned_key(&self) -> bool {
        matches!(self.kind, Kind::Key)
    }

    /// A B-frame's anchors and distances.
    fn anchors(&self) -> Option<BAnchors<'_>> {
        match &self.kind {
            Kind::B(anchors, distances) => Some((&anchors[..], *distances)),
            _ => None,
        }
    }

    /// The lookahead's vectors and the macroblocks' quantizer offsets.
    fn guide(&self) -> (&[Mv], &[i8]) {
        (&self.frame.analysis.mvs[..], &self.offsets[..])
    }
}

/// `work` applied to every item on up to `threads` scoped workers, each taking the next
/// item in order as it becomes free; results in the order of `items`. A worker that
/// panics is reported as an error.
fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
) -> Result<Vec<R>> {
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let results: Vec<Mutex<Option<R>>> = slots.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let panicked = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.clamp(1, slots.len().max(1)))
            .map(|_| {
                scope.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(slot) = slots.get(k) else {
                        break;
                    };
                    let Some(item) = slot.lock().ok().and_then(|mut s| s.take()) else {
                        break;
                    };
                    let result = work(item);
                    if let Ok(mut r) = results[k].lock() {
                        *r = Some(result);
                    }
                })
            })
            .collect();
        handles.into_iter().any(|h| h.join().is_err())
    });
    if panicked {
        return Err(Error::Pipeline("a video coding worker panicked".into()));
    }
    results
        .into_iter()
        .map(|r| match r.into_inner() {
            Ok(Some(result)) => Ok(result),
            _ => Err(Error::Pipeline("a video coding task did not finish".into())),
        })
        .collect()
}
