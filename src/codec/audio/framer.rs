//! The encoder's framer: reads the source in order and cuts it into packet groups, deciding
//! on the way which frames are short (block switching).
//!
//! In: any [`AudioSource`]. Out: [`Group`]s of `frames + 1` hops of planar samples, the
//! first hop one frame before the packet's first frame, and the short-block decisions of
//! the packet's frames and of the frame on either side (which shape the windows at the
//! packet's borders). Frame `j` covers samples `[(j-1)N, (j+1)N)`, with zeros before the
//! start and after the end; `ceil(L/N) + 1` frames cover `L` samples.

use super::analysis::Group;
use super::params::AudioParams;
use super::transient::TransientDetector;
use crate::error::Result;
use crate::media::audio::AudioSource;

/// Reads the source into packet groups: each holds `frames + 1` hops of samples.
pub(super) struct Framer<S: AudioSource> {
    source: S,
    params: AudioParams,
    /// Planar samples from timeline position `start` on.
    buffer: Vec<Vec<f32>>,
    start: i64,
    ended: bool,
    /// Samples per channel read so far (the input length once it has ended).
    pub(super) total: u64,
    next_frame: u64,
    interleaved: Vec<f32>,
    done: bool,
    /// None when block switching is off: every frame is long.
    detector: Option<TransientDetector>,
    /// Frames coded short so far.
    pub(super) short_frames: u64,
}

impl<S: AudioSource> Framer<S> {
    /// A framer; `threshold` is the transient detector's (None: no short blocks).
    pub(super) fn new(source: S, params: AudioParams, threshold: Option<f32>) -> Framer<S> {
        let n = params.frame_size;
        let channels = params.channels as usize;
        Framer {
            source,
            params,
            buffer: vec![vec![0.0; n]; channels],
            start: -(n as i64),
            ended: false,
            total: 0,
            next_frame: 0,
            interleaved: Vec::new(),
            done: false,
            detector: threshold.map(|t| TransientDetector::new(n, params.sample_rate, channels, t)),
            short_frames: 0,
        }
    }

    /// Reads until the buffer reaches timeline position `end` or the input ends.
    fn fill(&mut self, end: i64) -> Result<()> {
        let channels = self.buffer.len();
        while !self.ended && self.start + (self.buffer[0].len() as i64) < end {
            self.interleaved.clear();
            let got = self.source.read_frames(&mut self.interleaved, 4096)?;
            if got == 0 {
                self.ended = true;
                if let Some(d) = self.detector.as_mut() {
                    d.finish();
                }
                break;
            }
            self.total += got as u64;
            if let Some(d) = self.detector.as_mut() {
                d.push(&self.interleaved);
            }
            for (i, &v) in self.interleaved.iter().enumerate() {
                self.buffer[i % channels].push(v);
            }
        }
        Ok(())
    }

    pub(super) fn next_group(&mut self) -> Result<Option<Group>> {
        if self.done {
            return Ok(None);
        }
        let n = self.params.frame_size as i64;
        let per = self.params.frames_per_packet as u64;
        let first = self.next_frame as i64;
        self.fill((first + per as i64 + 1) * n)?;
        let frames = if self.ended {
            let total_frames = if self.total == 0 {
                0
            } else {
                self.total.div_ceil(n as u64) + 1
            };
            total_frames.saturating_sub(self.next_frame).min(per)
        } else {
            per
        };
        if frames == 0 {
            self.done = true;
            return Ok(None);
        }
        let from = (first - 1) * n;
        let to = (first + frames as i64 + 1) * n;
        let samples: Vec<Vec<f32>> = self
            .buffer
            .iter()
            .map(|b| {
                (from..to)
                    .map(|t| {
                        let i = t - self.start;
                        if i >= 0 {
                            b.get(i as usize).copied().unwrap_or(0.0)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        // Frame j finishes output positions [(j-1)N, jN), kept when inside [0, total).
        let out_start = ((first - 1) * n).max(0) as u64;
        let out_end = ((first + frames as i64 - 1) * n).max(0) as u64;
        let limit = if self.ended { self.total } else { u64::MAX };
        let output_samples = out_end.min(limit).saturating_sub(out_start) as u32;
        // The decisions of frames first - 1 ..= first + frames (all decided: the buffer
        // reaches half a frame past the last one's centre region, or the input ended).
        let total_frames = self.total.div_ceil(n as u64) + 1;
        let shorts: Vec<bool> = (first - 1..=first + frames as i64)
            .map(|j| {
                j >= 0
                    && (!self.ended || (j as u64) < total_frames)
                    && self.detector.as_ref().is_some_and(|d| d.is_short(j as u64))
            })
            .collect();
        self.short_frames += shorts[1..=frames as usize].iter().filter(|&&s| s).count() as u64;
        self.next_frame += frames;
        if let Some(d) = self.detector.as_mut() {
            d.forget_before(self.next_frame.saturating_sub(1));
        }
        // Drop what no later group needs: everything before (next_frame - 1) N.
        let keep_from = (self.next_frame as i64 - 1) * n;
        let drop = (keep_from - self.start).max(0) as usize;
        for b in &mut self.buffer {
            let d = drop.min(b.len());
            b.drain(..d);
        }
        self.start += drop as i64;
        Ok(Some(Group {
            first_frame: first as u64,
            frames: frames as u8,
            output_samples,
            samples,
            shorts,
        }))
    }
}
