//! Bitrate control of the lossy audio encoder: each packet's bit target and the search for
//! the step offset that hits it, with a bounded bit reservoir.
//!
//! In: analysed packets in order ([`Analysis`]), the bitrate, and the demand weight `w` of
//! [`super::AudioEncoderConfig::demand`]. Out: each packet's payload, coded by
//! [`super::code_packet`] at the offset chosen.
//!
//! Equal shares (`w` = 0, the default, and the only rule before): a packet's target is its
//! share of the bitrate (samples × bits per sample) less half the debt so far (bits spent
//! minus bits allowed, the header included), between half and one and a half shares.
//!
//! The search for the offset that meets a target codes the packet for real, but aims
//! every trial with the packet's size estimate ([`SizeModel`], one pass over its
//! coefficients): the first at the whole offset where the estimate, scaled by the ratio
//! of real size to estimate of the packet before, meets the target; each next one where
//! the estimate scaled to the trial before does. A trial within [`TOLERANCE`] (5 %) of
//! its target ends the search; the debt carries what it missed to the next packets.
//! Offsets stay whole: a fraction dithered over the frames varies the step from frame to
//! frame, which cost the PSNR tune 0.04 dB at 64 kbit/s. Measured on pingus_goin_march at
//! 48 / 96 / 128 kbit/s: 1.4 / 1.2 / 1.1 trial codings per packet, against 2.5 when the
//! trials stepped by a fixed slope to within 2 %, at the same ViSQOL (docs/BENCH.md,
//! "Rate control trials").
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
//! stream ends near its bitrate (measured: within 0.2 % on every corpus music file).
//! Within [`TOLERANCE`] of `D` the first trial is kept, else the search runs (six trials
//! at most).
//! The reference starts at quality 50's offset and moves [`REFERENCE_SHARE`] of the way to
//! each chosen offset. The state is a few numbers: memory is bounded, and no packet waits
//! for a later one (no added latency); a decoder fed at the constant bitrate needs a buffer
//! of the reservoir (2 s, 96 kbit at 48 kbit/s) more than with equal shares.
//!
//! Measured on the corpus music and speech (docs/BENCH.md, "Rate control by demand"):
//! ViSQOL scores `w` = 0.5 and 1 no higher than equal shares (music at 64 kbit/s 4.632 and
//! 4.617 against 4.639; speech at 16 kbit/s 4.630 and 4.541 against 4.686; measured with
//! the search before the size estimate), so the default stays 0: equal shares.

use super::analysis::Analysis;
use super::estimate::{CostTable, SizeModel, OFFSET_RANGE};
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

/// A trial within this share of its target ends the offset search. Per-packet precision
/// bought no quality: with the earlier search, 2 %, 5 % and 10 % gave the same ViSQOL on
/// the corpus music (within 0.004 at every rate), and the debt keeps the stream's rate.
const TOLERANCE: f64 = 0.05;

/// The most trial codings of one packet.
const TRIALS: usize = 6;

/// Estimates below this many bits (a silent packet) teach the search no scale.
const MIN_ESTIMATE: f64 = 64.0;

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
    /// Bytes per estimated bit of the packet before ([`SizeModel`]).
    scale: Option<f64>,
    /// The estimate's costs for the stream's dead-zone rounding (which it also holds).
    costs: CostTable,
    /// The demand weight and the reservoir's bound in bits, or `None` for equal shares.
    demand: Option<(f64, f64)>,
    /// Sample frames still to code when the input's length is known.
    remaining: Option<u64>,
}

impl RateControl {
    /// Rate control at `kbps` for input at `sample_rate`, starting at `offset` with
    /// `header_bits` as debt; `demand` is the demand weight (0 for equal shares);
    /// `total_samples` is the input's length per channel when known; `rounding` is the
    /// stream's dead-zone rounding below the noise start and from it on.
    pub(crate) fn new(
        kbps: f64,
        sample_rate: u32,
        header_bits: f64,
        offset: i32,
        demand: f32,
        total_samples: Option<u64>,
        rounding: [f32; 2],
    ) -> RateControl {
        RateControl {
            bits_per_sample: kbps * 1000.0 / sample_rate as f64,
            debt: header_bits,
            offset: offset as f64,
            scale: None,
            costs: CostTable::new(rounding),
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
    pub(crate) fn code(&mut self, analysis: &Analysis, layouts: &Layouts, hop: usize) -> Vec<u8> {
        let samples = analysis.frames as f64 * hop as f64;
        let budget =
            (samples * self.bits_per_sample - 8.0 * PACKET_OVERHEAD_BYTES as f64).max(64.0);
        let model = SizeModel::new(analysis, layouts);
        let trial = Trial {
            analysis,
            layouts,
            rounding: self.costs.rounding(),
            model: &model,
        };
        let payload = match self.demand {
            Some((weight, reservoir)) => {
                let bound = self.bound(reservoir, samples);
                let pressure = (self.debt / reservoir).clamp(-1.5, 1.5);
                let start = self.offset + PRESSURE_OFFSET * pressure;
                let first = trial.code(start);
                let demand = 8.0 * first.len() as f64;
                let share = (budget - REPAY_SHARE * self.debt).max(0.1 * budget);
                let target = (demand.powf(weight) * share.powf(1.0 - weight))
                    .min(MAX_SHARES * budget)
                    .clamp(budget - bound - self.debt, budget + bound - self.debt)
                    .max(0.1 * budget);
                let (chosen, payload) = self.search(&trial, (start, first), target / 8.0);
                self.offset += REFERENCE_SHARE * (chosen - self.offset);
                payload
            }
            None => {
                let target = (budget - 0.5 * self.debt).clamp(0.5 * budget, 1.5 * budget);
                // The first trial is where the estimate, scaled as the packet before
                // measured it, meets the target.
                let start = match self.scale {
                    Some(scale) => model.offset_for(target / 8.0, scale, &self.costs).round(),
                    None => self.offset,
                };
                let first = trial.code(start);
                let (chosen, payload) = self.search(&trial, (start, first), target / 8.0);
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

    /// The offset search: from the first trial (an offset and its payload), until a size
    /// within [`TOLERANCE`] of `target` bytes, [`TRIALS`] trials, or no whole offset left
    /// between two trials on either side of the target. Each next offset is the whole one
    /// nearest to where the size estimate, scaled to the size the last trial measured,
    /// meets the target, kept between the trials known to lie on either side of it.
    /// Returns the trial closest to the target and keeps its scale for the next packet.
    fn search(&mut self, trial: &Trial<'_>, first: (f64, Vec<u8>), target: f64) -> (f64, Vec<u8>) {
        let costs = &self.costs;
        let mut tried: Vec<(f64, Vec<u8>)> = vec![first];
        // The largest offset whose size was above the target and the smallest whose size
        // was below: the size falls as the offset grows.
        let (mut over, mut under): (Option<f64>, Option<f64>) = (None, None);
        while tried.len() < TRIALS {
            let (offset, payload) = &tried[tried.len() - 1];
            let (offset, size) = (*offset, payload.len().max(1) as f64);
            if (size / target - 1.0).abs() < TOLERANCE {
                break;
            }
            if size > target {
                over = Some(over.map_or(offset, |o: f64| o.max(offset)));
            } else {
                under = Some(under.map_or(offset, |u: f64| u.min(offset)));
            }
            let scale = size / trial.model.bits(offset, costs).max(MIN_ESTIMATE);
            let guess = trial.model.offset_for(target, scale, costs).round();
            // Whole offsets strictly between the trials on either side of the target.
            let next = match (over, under) {
                (Some(a), Some(b)) => {
                    let (low, high) = (a.floor() + 1.0, b.ceil() - 1.0);
                    if low > high {
                        break;
                    }
                    guess.clamp(low, high)
                }
                (Some(a), None) => guess.max(a.floor() + 1.0),
                (None, Some(b)) => guess.min(b.ceil() - 1.0),
                // Not reached: the trial just made one side known.
                (None, None) => guess,
            };
            let next = next.clamp(-OFFSET_RANGE, OFFSET_RANGE);
            if tried.iter().any(|(o, _)| (o - next).abs() < 1e-9) {
                break;
            }
            tried.push((next, trial.code(next)));
        }
        let (offset, payload) = tried
            .into_iter()
            .min_by(|a, b| {
                let da = (a.1.len() as f64 - target).abs();
                let db = (b.1.len() as f64 - target).abs();
                da.total_cmp(&db)
            })
            .unwrap_or_default();
        let estimate = trial.model.bits(offset, costs);
        if estimate >= MIN_ESTIMATE {
            self.scale = Some(payload.len() as f64 / estimate);
        }
        (offset, payload)
    }
}

/// One packet's trial coding at any offset, and its size estimate.
struct Trial<'a> {
    analysis: &'a Analysis,
    layouts: &'a Layouts,
    rounding: [f32; 2],
    model: &'a SizeModel,
}

impl Trial<'_> {
    /// The packet's payload at `offset` (fractions dithered over its frames).
    fn code(&self, offset: f64) -> Vec<u8> {
        code_packet(
            self.analysis,
            self.layouts,
            Offset::fine(offset),
            self.rounding,
        )
    }
}
