//! The encoder's framer: reads the source in order and cuts it into packet groups of
//! frames, deciding on the way which frames are short (block switching).
//!
//! In: an [`AudioSource`] (interleaved `f32`, any length, possibly unknown). Out: [`Group`]s,
//! each the planar samples one packet's frames need, starting one hop before the packet's
//! first frame, with zeros before the start and after the end of the input, plus the number
//! of output samples the packet finishes and the short-block decisions of the packet's
//! frames and of the frame on either side (which shape the windows at the packet's
//! borders). Frame `j` covers samples `[(j-1)N, (j+1)N)`, so `ceil(L/N) + 1` frames cover
//! `L` samples; the lossless mono mode rounds the frame count up to an even number (its
//! frames are transformed in pairs) and never switches blocks. Memory stays bounded: what no
//! later group needs is dropped.

use super::analysis::Group;
use super::params::AudioParams;
use super::transient::TransientDetector;
use crate::error::Result;
use crate::media::audio::AudioSource;

/// Reads the source into packet groups: each holds `frames + 2` hops of samples.
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
    /// The frame count is rounded up to a multiple of this (1, or 2 for lossless mono).
    frame_multiple: u64,
    interleaved: Vec<f32>,
    done: bool,
    /// None when block switching is off (and in lossless mode): every frame is long.
    detector: Option<TransientDetector>,
    /// Frames coded short so far.
    pub(super) short_frames: u64,
}

impl<S: AudioSource> Framer<S> {
    /// A framer; `frame_multiple` is 1, or 2 when frames are transformed in pairs;
    /// `threshold` is the transient detector's (None: no short blocks).
    pub(super) fn new(
        source: S,
        params: AudioParams,
        frame_multiple: u64,
        threshold: Option<f32>,
    ) -> Framer<S> {
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
            frame_multiple: frame_multiple.max(1),
            interleaved: Vec::new(),
            done: false,
            detector: threshold.map(|t| TransientDetector::new(n, params.sample_rate, channels, t)),
            short_frames: 0,
        }
    }

    /// The source, for a caller that feeds it between groups.
    pub(super) fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Samples per channel the next group needs beyond what the buffer holds (0 when
    /// it can be cut now).
    pub(super) fn samples_wanted(&self) -> u64 {
        let n = self.params.frame_size as i64;
        let end = (self.next_frame as i64 + self.params.frames_per_packet as i64 + 1) * n;
        (end - self.start - self.buffer[0].len() as i64).max(0) as u64
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

    /// Frames covering the samples read so far (the whole input once it has ended): none for
    /// no samples, else `ceil(total/N) + 1` rounded up to the frame multiple.
    fn total_frames(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            (self.total.div_ceil(self.params.frame_size as u64) + 1)
                .next_multiple_of(self.frame_multiple)
        }
    }

    /// The next group, or `None` after the last.
    pub(super) fn next_group(&mut self) -> Result<Option<Group>> {
        if self.done {
            return Ok(None);
        }
        let n = self.params.frame_size as i64;
        let per = self.params.frames_per_packet as u64;
        let first = self.next_frame as i64;
        self.fill((first + per as i64 + 1) * n)?;
        let frames = if self.ended {
            self.total_frames().saturating_sub(self.next_frame).min(per)
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
        let total_frames = self.total_frames();
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
