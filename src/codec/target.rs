//! Target quality: the search that finds the coarsest setting of a codec that still reaches
//! a PSNR or SSIM target, by encoding for real and measuring the reconstruction.
//!
//! Every codec exposes a continuous knob measured in octaves of quantizer step (higher knob,
//! finer steps, more bits): pictures a step scale, video a fractional quantizer index, audio a
//! fractional step offset. [`search`] drives such a knob. It works on a quality axis that is
//! close to linear in the knob: PSNR in dB as it is, and SSIM as `-10 log10(1 - SSIM)` (the
//! "SSIM dB"). It starts at a guess, steps by the secant slope through the last two trials
//! until the target is bracketed, then narrows the bracket by regula falsi (with bisection
//! when the secant stalls) until a trial lands in the band `[target, target + tolerance]` on
//! that axis. The answer is the smallest encoding among the trials in the band, or, when
//! none landed there (a metric that jumps across the band as the knob moves), the smallest
//! at or above the target: never one below it. A target above what the finest setting reaches, or below what the
//! coarsest one gives, is an [`Error::InvalidArgument`] naming the reachable end.

use crate::error::{Error, Result};

/// Width of the PSNR band a search aims for, in dB: the reached PSNR lies in
/// `[target, target + PSNR_TOLERANCE_DB]` unless the knob is too coarse there.
pub const PSNR_TOLERANCE_DB: f64 = 0.1;
/// Width of the SSIM band on the SSIM-dB axis (`-10 log10(1 - SSIM)`): 0.1 dB, which keeps
/// `1 - SSIM` within about 2.3 % below `1 - target` (0.95 is reached as 0.95 to 0.9511).
pub const SSIM_TOLERANCE_DB: f64 = 0.1;
/// Most encodes one search may run.
pub const MAX_PASSES: u32 = 16;

/// A quality target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// PSNR in dB (which PSNR depends on the media; see each codec's target function).
    Psnr(f64),
    /// Mean SSIM of luma, in (0, 1).
    Ssim(f64),
}

impl Target {
    /// Checks the target: a PSNR from 1 to 100 dB, an SSIM strictly between 0 and 1.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Target::Psnr(db) if !(db.is_finite() && (1.0..=100.0).contains(&db)) => Err(
                Error::InvalidArgument(format!("target PSNR {db} dB (expected 1 to 100)")),
            ),
            Target::Ssim(s) if !(s.is_finite() && s > 0.0 && s < 1.0) => Err(
                Error::InvalidArgument(format!("target SSIM {s} (expected above 0 and below 1)")),
            ),
            _ => Ok(()),
        }
    }

    /// The metric's name, for messages.
    pub fn metric_name(&self) -> &'static str {
        match self {
            Target::Psnr(_) => "PSNR",
            Target::Ssim(_) => "SSIM",
        }
    }

    /// The target value itself.
    pub fn value(&self) -> f64 {
        match *self {
            Target::Psnr(v) | Target::Ssim(v) => v,
        }
    }

    /// Formats a value of this target's metric ("40.03 dB", "0.95012").
    pub fn format(&self, value: f64) -> String {
        match self {
            Target::Psnr(_) if value.is_infinite() => "inf dB".to_string(),
            Target::Psnr(_) => format!("{value:.2} dB"),
            Target::Ssim(_) => format!("{value:.5}"),
        }
    }

    /// A metric value on the search axis (PSNR as it is, SSIM as SSIM dB).
    fn axis(&self, value: f64) -> f64 {
        match self {
            Target::Psnr(_) => value,
            Target::Ssim(_) => ssim_db(value),
        }
    }

    /// True when `value` lies in the band the search aims for.
    pub fn in_band(&self, value: f64) -> bool {
        let (goal, y) = (self.axis(self.value()), self.axis(value));
        y >= goal && y <= goal + self.tolerance()
    }

    /// Which of two trials at or above the target to keep: one in the band before one
    /// above it, then the smaller.
    pub fn better(&self, a: &Trial, b: &Trial) -> bool {
        match (self.in_band(a.value), self.in_band(b.value)) {
            (true, false) => true,
            (false, true) => false,
            _ => a.bytes < b.bytes,
        }
    }

    fn tolerance(&self) -> f64 {
        match self {
            Target::Psnr(_) => PSNR_TOLERANCE_DB,
            Target::Ssim(_) => SSIM_TOLERANCE_DB,
        }
    }
}

/// `-10 log10(1 - ssim)`; 1.0 and above give infinity.
pub fn ssim_db(ssim: f64) -> f64 {
    if ssim >= 1.0 {
        f64::INFINITY
    } else {
        -10.0 * (1.0 - ssim).log10()
    }
}

/// A value in [0, 1) for unit `n` (a video frame, an audio frame), evenly spread over any
/// run of units: the fractional part of `n` times the golden ratio. Codecs whose quantizer
/// moves in whole indices code unit `n` one index coarser when `dither(n)` is below the
/// fraction of a fractional index; raising the fraction only adds units to the coarser set.
pub fn dither(n: u64) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_894_8;
    ((n % (1 << 40)) as f64 * GOLDEN).fract()
}

/// The knob's range and where the search starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knob {
    /// The coarsest setting (fewest bits).
    pub coarsest: f64,
    /// The finest setting (most bits).
    pub finest: f64,
    /// The first trial.
    pub start: f64,
    /// Knob steps closer than this count as the same setting.
    pub resolution: f64,
    /// The expected slope of the search axis against the knob (dB per knob unit), used
    /// until two trials measure one; a measured slope under a fifth of it is a plateau.
    pub first_slope: f64,
}

/// One encode of a search: the knob, the measured metric and the size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    pub knob: f64,
    /// The metric as measured (PSNR in dB or SSIM).
    pub value: f64,
    pub bytes: u64,
}

/// What a search found: the chosen trial, its encoding, and every trial in order.
#[derive(Debug, Clone)]
pub struct SearchOutcome<T> {
    pub best: Trial,
    pub output: T,
    pub trials: Vec<Trial>,
}

impl<T> SearchOutcome<T> {
    /// Encodes run.
    pub fn passes(&self) -> u32 {
        self.trials.len() as u32
    }
}

/// Smallest and largest knob step (octaves) while the target is not yet bracketed.
const MIN_STEP: f64 = 0.05;
const MAX_STEP: f64 = 3.0;

/// Finds the smallest encoding reaching `target`. `encode(knob)` encodes at a knob setting
/// and returns the measured metric, the size in bytes and the encoding.
pub fn search<T>(
    target: Target,
    knob: Knob,
    mut encode: impl FnMut(f64) -> Result<(f64, u64, T)>,
) -> Result<SearchOutcome<T>> {
    target.validate()?;
    let goal = target.axis(target.value());
    let tolerance = target.tolerance();
    // Aim inside the band, a little above its floor, so that small bumps stay in it.
    let aim = goal + 0.4 * tolerance;
    let mut trials: Vec<Trial> = Vec::new();
    let mut best: Option<(Trial, T)> = None;
    // The highest knob known below the goal and the lowest known at or above it (axis values).
    let mut low: Option<(f64, f64)> = None;
    let mut high: Option<(f64, f64)> = None;
    let mut x = knob.start.clamp(knob.coarsest, knob.finest);
    while (trials.len() as u32) < MAX_PASSES {
        let (value, bytes, output) = encode(x)?;
        let trial = Trial {
            knob: x,
            value,
            bytes,
        };
        trials.push(trial);
        let y = target.axis(value);
        if y.is_nan() {
            return Err(Error::InvalidArgument(format!(
                "the {} of the encoding is not a number",
                target.metric_name()
            )));
        }
        if y >= goal {
            if best.as_ref().is_none_or(|(b, _)| target.better(&trial, b)) {
                best = Some((trial, output));
            }
            if high.is_none_or(|(hx, _)| x < hx) {
                high = Some((x, y));
            }
            if y <= goal + tolerance {
                break;
            }
        } else if low.is_none_or(|(lx, _)| x > lx) {
            low = Some((x, y));
        }
        let next = match (low, high) {
            (Some((lx, ly)), Some((hx, hy))) => {
                if hx - lx <= knob.resolution || hx < lx {
                    break;
                }
                // Regula falsi, kept a tenth of the bracket away from its ends.
                let t = ((aim - ly) / (hy - ly)).clamp(0.1, 0.9);
                if hy.is_finite() {
                    lx + t * (hx - lx)
                } else {
                    0.5 * (lx + hx)
                }
            }
            (Some((lx, ly)), None) => {
                if lx >= knob.finest {
                    return Err(out_of_reach(target, value, "finest"));
                }
                // Where the metric flattens out (near what the codec can reach at all), go
                // straight for the largest step rather than crawl.
                let s = slope(&trials, &target, knob.first_slope);
                let step = if s < 0.2 * knob.first_slope {
                    MAX_STEP
                } else {
                    (aim - ly) / s
                };
                (lx + step.clamp(MIN_STEP, MAX_STEP)).min(knob.finest)
            }
            (None, Some((hx, hy))) => {
                if hx <= knob.coarsest {
                    return Err(out_of_reach(target, value, "coarsest"));
                }
                let s = slope(&trials, &target, knob.first_slope);
                let step = if hy.is_finite() && s >= 0.2 * knob.first_slope {
                    (hy - aim) / s
                } else {
                    MAX_STEP
                };
                (hx - step.clamp(MIN_STEP, MAX_STEP)).max(knob.coarsest)
            }
            (None, None) => break,
        };
        if trials
            .iter()
            .any(|t| (t.knob - next).abs() < 0.5 * knob.resolution)
        {
            break;
        }
        x = next;
    }
    match best {
        Some((best, output)) => Ok(SearchOutcome {
            best,
            output,
            trials,
        }),
        None => Err(Error::InvalidArgument(format!(
            "target {} {} not reached in {} passes (best {})",
            target.metric_name(),
            target.format(target.value()),
            trials.len(),
            target.format(trials.iter().map(|t| t.value).fold(f64::MIN, f64::max))
        ))),
    }
}

/// The slope of the axis against the knob through the last two trials (`first` before).
fn slope(trials: &[Trial], target: &Target, first: f64) -> f64 {
    if let [.., a, b] = trials {
        let (ya, yb) = (target.axis(a.value), target.axis(b.value));
        let s = (yb - ya) / (b.knob - a.knob);
        if s.is_finite() && s > 0.0 {
            return s;
        }
    }
    first
}

fn out_of_reach(target: Target, reached: f64, end: &str) -> Error {
    let side = if end == "finest" { "above" } else { "below" };
    Error::InvalidArgument(format!(
        "target {} {} is out of reach: it is {side} what the {end} setting gives ({})",
        target.metric_name(),
        target.format(target.value()),
        target.format(reached)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model codec: PSNR = 30 + 6 knob, bytes grow with the knob.
    fn model(x: f64) -> Result<(f64, u64, f64)> {
        Ok((30.0 + 6.0 * x, (1000.0 * 2f64.powf(x)) as u64, x))
    }

    const KNOB: Knob = Knob {
        coarsest: -5.0,
        finest: 8.0,
        start: 1.0,
        resolution: 1e-4,
        first_slope: 5.0,
    };

    #[test]
    fn reaches_the_band_on_a_smooth_model() {
        for goal in [20.0, 33.3, 45.0, 70.0] {
            let out = search(Target::Psnr(goal), KNOB, model).unwrap();
            assert!(out.best.value >= goal, "{goal}: {:?}", out.best);
            assert!(
                out.best.value <= goal + PSNR_TOLERANCE_DB,
                "{goal}: {:?}",
                out.best
            );
            assert!(out.passes() <= 6, "{goal}: {} passes", out.passes());
            assert_eq!(out.output, out.best.knob);
        }
    }

    #[test]
    fn stepped_metric_never_below_target() {
        // PSNR moves in 0.3 dB stairs: the band cannot always be hit, the floor must hold.
        let stairs = |x: f64| {
            let v = 30.0 + 0.3 * ((6.0 * x) / 0.3).floor();
            Ok((v, (1000.0 * 2f64.powf(x)) as u64, ()))
        };
        for goal in [31.05, 36.0, 40.17] {
            let out = search(Target::Psnr(goal), KNOB, stairs).unwrap();
            assert!(out.best.value >= goal && out.best.value < goal + 0.3 + 1e-9);
        }
    }

    #[test]
    fn plateau_reaches_the_finest_end_quickly() {
        // The metric saturates at 41 dB: a 45 dB target is out of reach, found in few passes.
        let mut passes = 0;
        let capped = |x: f64| {
            passes += 1;
            Ok(((30.0 + 6.0 * x).min(41.0 - 0.01 * (8.0 - x)), 1000, ()))
        };
        let e = search(Target::Psnr(45.0), KNOB, capped).unwrap_err();
        assert!(e.to_string().contains("finest"), "{e}");
        assert!(passes <= 6, "{passes} passes");
    }

    #[test]
    fn ssim_axis_and_band() {
        // SSIM dB = 8 + 2 knob.
        let f = |x: f64| {
            let s = 1.0 - 10f64.powf(-(8.0 + 2.0 * x) / 10.0);
            Ok((s, (1000.0 * 2f64.powf(x)) as u64, ()))
        };
        let out = search(Target::Ssim(0.95), KNOB, f).unwrap();
        assert!(out.best.value >= 0.95);
        assert!(ssim_db(out.best.value) - ssim_db(0.95) <= SSIM_TOLERANCE_DB);
    }

    #[test]
    fn out_of_reach_both_ways() {
        let e = search(Target::Psnr(99.0), KNOB, model).unwrap_err();
        assert!(e.to_string().contains("finest"), "{e}");
        // A gentler model gives 20 dB at the coarsest end: 10 dB is below what it gives.
        let gentle = |x: f64| Ok((30.0 + 2.0 * x, (1000.0 * 2f64.powf(x)) as u64, ()));
        let e = search(Target::Psnr(10.0), KNOB, gentle).unwrap_err();
        assert!(e.to_string().contains("coarsest"), "{e}");
        assert!(search(Target::Psnr(200.0), KNOB, model).is_err());
        assert!(search(Target::Ssim(1.0), KNOB, model).is_err());
        assert!(search(Target::Psnr(f64::NAN), KNOB, model).is_err());
    }

    #[test]
    fn encode_errors_pass_through() {
        let e = search(Target::Psnr(40.0), KNOB, |_| -> Result<(f64, u64, ())> {
            Err(Error::InvalidArgument("boom".into()))
        })
        .unwrap_err();
        assert!(e.to_string().contains("boom"));
    }
}
