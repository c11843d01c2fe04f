//! Bitrate control of the lossy audio encoder: each packet's bit target and the search for
//! the step offset that hits it, with a bounded bit reservoir.
//!
//! In: analysed packets in order ([`Analysis`]), the bitrate, and the demand weight `w` of
//! [`super::AudioEncoderConfig::demand`]. Out: each packet's payload, coded by
//! [`super::code_packet`] at the offset chosen.
//!
//! Equal shares (`w` = 0, the default, and the only rule before): a packet's target is its
//! share of the bitrate (samples × bits per sample) less half the debt so far (bits spent
//! minus bits allowed, the header included), between half and one and a half shares; the
//! search starts at the offset of the packet before.
//!
//! By demand (`w` > 0), as in the bit reservoirs of AAC encoders and the constrained VBR of
//! Opus: every packet's steps already follow its own masking threshold (the analysis'
//! base steps), so equal offsets are equal quality in the model's terms, and the bits a
//! packet costs at the running offset, its demand `D`, are what that quality needs there
//! (the constant-quality view; a packet of dense, broadband sound costs several times one
//! of a soft tone). The first trial codes the packet at the reference offset plus
//! [`PRESSURE_OFFSET`] times the reservoir's pressure (debt over reservoir; fractional
//! offsets are dithered over the frames like [`super::RateMode::StepOffset`]) and measures
//! `D` at no extra cost. The target is `D^w · S^(1-w)`, where `S` is the share less
//! [`REPAY_SHARE`] of the debt, at most [`MAX_SHARES`] shares, and clamped so that the debt
//! after the packet stays within the reservoir: [`RESERVOIR_SECONDS`] of the bitrate, or
//! near a known end of the input [`END_SHARE`] of the bits still allowed, so that every
//! stream ends near its bitrate (measured: within 0.2 % on every corpus music file). Within 2 %
//! of `D` the first trial is kept, else the search runs (six trials at most, as before).
//! The reference starts at quality 50's offset and moves [`REFERENCE_SHARE`] of the way to
//! each chosen offset. The state is a few numbers: memory is bounded, and no packet waits
//! for a later one (no added latency); a decoder fed at the constant bitrate needs a buffer
//! of the reservoir (2 s, 96 kbit at 48 kbit/s) more than with equal shares.
//!
//! Measured on the corpus music and speech (docs/BENCH.md, "Rate control by demand"):
//! ViSQOL scores `w` = 0.5 and 1 no higher than equal shares (music at 64 kbit/s 4.632 and
//! 4.617 against 4.639; speech at 16 kbit/s 4.630 and 4.541 against 4.686), so the default
//! stays 0 and its bytes are those of equal shares before.

use super::analysis::Analysis;
use super::{code_packet, Layouts, Offset};
use crate::container::PACKET_OVERHEAD_BYTES;

/// The bound of the reservoir by demand, in seconds of the bitrate: after every packet the
/// bits spent so far differ from the bits allowed so far by at most this much, give or
/// take the packet's miss of its target when six trials cannot hit it.
pub const RESERVOIR_SECONDS: f64 = 2.0;

/// Near a known end the reservoir's bound shrinks to this share of the bits still allowed.
const END_SHARE: f64 = 0.5;

/// The share of the debt a packet's target by demand repays.
const REPAY_SHARE: f64 = 0.25;

/// How far the reference offset moves towards each packet's chosen offset.
const REFERENCE_SHARE: f64 = 0.03;

/// Offset units the first trial adds to the reference at a debt of the whole reservoir
/// (the pressure, debt over reservoir, held within ±1.5).
const PRESSURE_OFFSET: f64 = 3.0;

/// The most a packet may spend by demand, in shares of the bitrate.
const MAX_SHARES: f64 = 2.0;

/// Bitrate control (see the module documentation).
pub(crate) struct RateControl {
    /// Bits per sample frame, container overhead removed.
    bits_per_sample: f64,
    /// Bits spent minus bits allowed so far.
    debt: f64,
    /// The offset of the packet before (equal shares), or the reference offset (demand).
    offset: f64,
    /// Learned change of log2(bytes) per offset unit.
    slope: f64,
    /// The demand weight and the reservoir's bound in bits, or `None` for equal shares.
    demand: Option<(f64, f64)>,
    /// Sample frames still to code when the input's length is known.
    remaining: Option<u64>,
}

impl RateControl {
    /// Rate control at `kbps` for input at `sample_rate`, starting at `offset` with
    /// `header_bits` as debt; `demand` is the demand weight (0 for equal shares);
    /// `total_samples` is the input's length per channel when known.
    pub(crate) fn new(
        kbps: f64,
        sample_rate: u32,
        header_bits: f64,
        offset: i32,
        demand: f32,
        total_samples: Option<u64>,
    ) -> RateControl {
        RateControl {
            bits_per_sample: kbps * 1000.0 / sample_rate as f64,
            debt: header_bits,
            offset: offset as f64,
            slope: 0.12,
            demand: (demand > 0.0).then_some((demand as f64, RESERVOIR_SECONDS * kbps * 1000.0)),
            remaining: total_samples,
        }
    }

    /// The reservoir's bound in bits for the debt after a packet of `samples` sample
    /// frames.
    fn bound(&self, reservoir: f64, samples: f64) -> f64 {
        let left = self
            .remaining
            .map_or(f64::INFINITY, |r| (r as f64 - samples).max(0.0));
        reservoir.min(END_SHARE * left * self.bits_per_sample)
    }

    /// Codes one packet of frames `hop` samples apart; returns its payload.
    pub(crate) fn code(
        &mut self,
        analysis: &Analysis,
        layouts: &Layouts,
        rounding: [f32; 2],
        hop: usize,
    ) -> Vec<u8> {
        let samples = analysis.frames as f64 * hop as f64;
        let budget =
            (samples * self.bits_per_sample - 8.0 * PACKET_OVERHEAD_BYTES as f64).max(64.0);
        let payload = match self.demand {
            Some((weight, reservoir)) => {
                let bound = self.bound(reservoir, samples);
                let pressure = (self.debt / reservoir).clamp(-1.5, 1.5);
                let start = self.offset + PRESSURE_OFFSET * pressure;
                let first = code_packet(analysis, layouts, Offset::fine(start), rounding);
                let demand = 8.0 * first.len() as f64;
                let share = (budget - REPAY_SHARE * self.debt).max(0.1 * budget);
                let target = (demand.powf(weight) * share.powf(1.0 - weight))
                    .min(MAX_SHARES * budget)
                    .clamp(budget - bound - self.debt, budget + bound - self.debt)
                    .max(0.1 * budget);
                let (chosen, payload) = if (demand / target - 1.0).abs() < 0.02 {
                    (start, first)
                } else {
                    self.search(analysis, layouts, rounding, (start, first), target / 8.0)
                };
                self.offset += REFERENCE_SHARE * (chosen - self.offset);
                payload
            }
            None => {
                let first = code_packet(analysis, layouts, Offset::fine(self.offset), rounding);
                let target = (budget - 0.5 * self.debt).clamp(0.5 * budget, 1.5 * budget);
                let start = self.offset;
                let (chosen, payload) =
                    self.search(analysis, layouts, rounding, (start, first), target / 8.0);
                self.offset = chosen;
                payload
            }
        };
        self.debt += 8.0 * payload.len() as f64 - budget;
        if let Some(r) = self.remaining.as_mut() {
            *r = r.saturating_sub(samples as u64);
        }
        payload
    }

    /// The offset search: from the first trial (an offset and its payload), offsets whole
    /// steps from it until a size within 2 % of `target` bytes, two neighbouring offsets on either side
    /// of it, a repeated offset or six trials; returns the trial closest to the target.
    fn search(
        &mut self,
        analysis: &Analysis,
        layouts: &Layouts,
        rounding: [f32; 2],
        first: (f64, Vec<u8>),
        target: f64,
    ) -> (f64, Vec<u8>) {
        // Trials are whole steps `k` from the first one's offset.
        let base = first.0;
        let mut k = 0i32;
        let mut tried: Vec<(i32, Vec<u8>)> = vec![(0, first.1)];
        let (mut below, mut above): (Option<i32>, Option<i32>) = (None, None);
        for trial in 0..6 {
            if trial > 0 {
                let offset = Offset::fine(base + k as f64);
                tried.push((k, code_packet(analysis, layouts, offset, rounding)));
            }
            let size = tried[tried.len() - 1].1.len() as f64;
            if (size / target - 1.0).abs() < 0.02 {
                break;
            }
            if size > target {
                above = Some(above.map_or(k, |a: i32| a.max(k)));
            } else {
                below = Some(below.map_or(k, |b: i32| b.min(k)));
            }
            let mut next = k + ((size / target).log2() / self.slope).round() as i32;
            if let (Some(a), Some(b)) = (above, below) {
                if b - a <= 1 {
                    break;
                }
                next = next.clamp(a + 1, b - 1);
            } else if let Some(a) = above {
                next = next.max(a + 1);
            } else if let Some(b) = below {
                next = next.min(b - 1);
            }
            // Whole offsets stay within ±200.
            let next = next.clamp(-200 - base.floor() as i32, 200 - base.ceil() as i32);
            if tried.iter().any(|(o, _)| *o == next) {
                break;
            }
            k = next;
        }
        // Learn the slope from the two last trials.
        if tried.len() >= 2 {
            let (o1, p1) = &tried[tried.len() - 2];
            let (o2, p2) = &tried[tried.len() - 1];
            if o1 != o2 {
                let s = ((p2.len() as f64).log2() - (p1.len() as f64).log2()) / (*o2 - *o1) as f64;
                if s.is_finite() && s > 0.0 {
                    self.slope = (0.5 * self.slope + 0.5 * s).clamp(0.02, 0.5);
                }
            }
        }
        let (k, payload) = tried
            .into_iter()
            .min_by(|a, b| {
                let da = (a.1.len() as f64 - target).abs();
                let db = (b.1.len() as f64 - target).abs();
                da.total_cmp(&db)
            })
            .unwrap_or_default();
        (base + k as f64, payload)
    }
}
