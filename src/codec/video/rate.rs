//! Rate control: which quantizer index each frame is coded with.
//!
//! In: the mode the user chose (constant quality, or an average bitrate) and, after every
//! frame, the bits it took. Out: the quantizer index of the next frame. Constant quality
//! maps the 0..100 quality to an index and codes keyframes 9 indices finer
//! (`--key-qp-offset`): every later frame of the group predicts from the keyframe, so a fine
//! one pays back, most in static scenes. Bitrate mode keeps a complexity estimate per frame
//! type (bits × step, which is roughly constant for a frame as the step changes), aims each
//! frame at the per-frame budget corrected by the running surplus or deficit, and picks the
//! index whose step meets that aim; the encoder may code a frame a second time when it
//! misses its aim widely.
//!
//! Inter frames do not all take the same index: by their place since the keyframe they follow
//! [`INTER_QP_PATTERN`], a period of 8 whose first frame is coded 4 indices finer than the
//! mode's index and the others at it or one index coarser (the pattern's mean is zero, so
//! the mode's index keeps its meaning). Each frame predicts from the one before, so the finer
//! frames lift the prediction of the frames after them; with the pattern off (`--flat-qp`)
//! every inter frame takes the mode's index.
//!
//! Either mode may be bounded by a [`Vbv`] buffer (`--vbv-maxrate`, `--vbv-bufsize`): a
//! decoder buffer that fills at the maximum rate and empties by each frame's bits. The
//! encoder coarsens a frame's index when the complexity estimate says it would take more
//! than half of what the buffer holds, and codes it again, coarser, while it would take
//! more than the buffer holds.

use super::qp::qstep16;
/// Largest quantizer index (the range of `--crf`).
pub use super::qp::MAX_QP;
use crate::codec::target::dither;
use crate::error::{Error, Result};

/// The quantizer index for a quality in 0..=100 (60 → 24, 100 → 6, 0 → 51).
pub fn quality_to_qp(quality: u8) -> u8 {
    let q = quality.min(100) as u32;
    (6 + ((100 - q) * 45 + 50) / 100) as u8
}

/// Keyframes are coded this many indices finer than inter frames, by default.
pub const KEY_QP_OFFSET: u8 = 9;

/// B-frames are coded this many indices coarser than the mode's index (before the
/// pattern), by default: no frame predicts from them.
pub const B_QP_OFFSET: u8 = 6;

/// Quantizer index offsets of inter frames by place since the keyframe, modulo 8 (the
/// keyframe is place 0): every eighth frame 4 indices finer, the others at the mode's index
/// or 1 coarser, in turn. The offsets sum to zero.
pub const INTER_QP_PATTERN: [i8; 8] = [-4, 1, 0, 1, 0, 1, 0, 1];

/// The rate controller of one encode.
#[derive(Debug, Clone)]
pub struct RateControl {
    /// Constant-quality index, when not under bitrate control.
    fixed_qp: Option<u8>,
    /// A fractional part added to `fixed_qp`: frame `n` is coded one index coarser when
    /// [`dither`]`(n)` is below it (0 for integer qualities).
    fraction: f64,
    /// Bits per frame the bitrate allows.
    frame_budget: f64,
    /// Bits spent minus bits allowed so far.
    surplus: f64,
    /// Complexity (bits × step) of the last keyframe and inter frame.
    complexity: [Option<f64>; 2],
    last_qp: [u8; 2],
    /// How many indices finer keyframes are coded than inter frames.
    key_offset: u8,
    /// Inter frames follow [`INTER_QP_PATTERN`].
    pattern: bool,
    /// Frames coded since the last keyframe (0 after the keyframe itself).
    since_key: u64,
    /// The B-frames that follow the next P-frame in coding order (predicted from it).
    bframes: u8,
    /// B-frames coded before the next P-frame is booked (coded beside it), not yet booked:
    /// the spending aim counts them at their expected size.
    unbooked: u8,
    /// A B-frame's bits as a share of the P-frame before it (running mean).
    b_share: f64,
    /// The bits of the last P-frame.
    last_p_bits: f64,
}

/// The first guess of a B-frame's bits as a share of its P-frame's.
const B_SHARE_GUESS: f64 = 0.3;

impl RateControl {
    /// Constant quality.
    pub fn constant_quality(quality: u8, key_offset: u8) -> RateControl {
        RateControl {
            fixed_qp: Some(quality_to_qp(quality)),
            fraction: 0.0,
            frame_budget: 0.0,
            surplus: 0.0,
            complexity: [None, None],
            last_qp: [26, 28],
            key_offset,
            pattern: true,
            since_key: 0,
            bframes: 0,
            unbooked: 0,
            b_share: B_SHARE_GUESS,
            last_p_bits: 0.0,
        }
    }

    /// An average bitrate in kbit/s at `frame_seconds` per frame.
    pub fn bitrate(kbps: u32, frame_seconds: f64, key_offset: u8) -> RateControl {
        RateControl {
            fixed_qp: None,
            fraction: 0.0,
            frame_budget: kbps as f64 * 1000.0 * frame_seconds,
            surplus: 0.0,
            complexity: [None, None],
            last_qp: [26, 28],
            key_offset,
            pattern: true,
            since_key: 0,
            bframes: 0,
            unbooked: 0,
            b_share: B_SHARE_GUESS,
            last_p_bits: 0.0,
        }
    }

    /// Constant quality at a fractional index `qp` (0 to [`MAX_QP`]): a finer knob than the
    /// 0..100 quality. Frame `n` is coded at `floor(qp) + 1` when [`dither`]`(n)` is below the
    /// fraction of `qp`, else at `floor(qp)`; raising `qp` only ever adds frames to the
    /// coarser set, so quality falls steadily as `qp` grows.
    pub fn constant_fine(qp: f64, key_offset: u8) -> RateControl {
        let qp = qp.clamp(0.0, MAX_QP as f64);
        let whole = qp.floor();
        RateControl {
            fixed_qp: Some(whole as u8),
            fraction: qp - whole,
            ..RateControl::constant_quality(0, key_offset)
        }
    }

    /// Turns [`INTER_QP_PATTERN`] on or off (on by default).
    pub fn with_pattern(self, pattern: bool) -> RateControl {
        RateControl { pattern, ..self }
    }

    /// The pattern's offset of the next inter frame.
    fn inter_offset(&self) -> i32 {
        if self.pattern {
            INTER_QP_PATTERN[((self.since_key + 1) % INTER_QP_PATTERN.len() as u64) as usize] as i32
        } else {
            0
        }
    }

    /// Says how many B-frames the next P-frame brings (they are shown before it and coded
    /// after it): under bitrate control a P-frame aims at its group's budget less what its
    /// B-frames are expected to take.
    ///
    /// `unbooked` B-frames of the group before are coded beside the P-frame and booked
    /// only after its index is chosen: the aim counts them at their expected size, as if
    /// booked, so that their anchor's bits, booked already, do not read as overspending.
    pub fn set_group(&mut self, bframes: u8, unbooked: u8) {
        self.bframes = bframes;
        self.unbooked = unbooked;
    }

    /// True under bitrate control.
    pub fn is_bitrate(&self) -> bool {
        self.fixed_qp.is_none()
    }

    /// The bits the next frame should take (bitrate mode).
    pub fn target_bits(&self, key: bool) -> f64 {
        let expected_b = self.b_share * self.last_p_bits;
        let surplus = self.surplus + self.unbooked as f64 * (expected_b - self.frame_budget);
        let base = (self.frame_budget - surplus / 4.0)
            .clamp(self.frame_budget * 0.3, self.frame_budget * 3.0);
        if key {
            base * 4.0
        } else {
            // A group of one P-frame and `bframes` B-frames spends the budget of all.
            let b = self.bframes as f64;
            base * (1.0 + b) / (1.0 + b * self.b_share)
        }
    }

    /// The index for frame `frame` (counted from 0).
    pub fn next_qp(&self, key: bool, frame: u64) -> u8 {
        let t = key as usize ^ 1;
        if let Some(qp) = self.fixed_qp {
            let qp = if dither(frame) < self.fraction {
                (qp + 1).min(MAX_QP)
            } else {
                qp
            };
            return if key {
                qp.saturating_sub(self.key_offset)
            } else {
                offset_qp(qp, self.inter_offset())
            };
        }
        let Some(c) = self.complexity[t] else {
            // No frame of this type yet: a fixed offset from the other type.
            let other = self.last_qp[t ^ 1];
            return if key {
                other.saturating_sub(self.key_offset)
            } else {
                offset_qp((other + self.key_offset).min(MAX_QP), self.inter_offset())
            };
        };
        // The index that meets the aim, then the pattern's offset around it (`last_qp`
        // holds the index before the offset).
        let qp = qp_for(c, self.target_bits(key), exponent(key));
        let last = self.last_qp[t] as i32;
        let qp = (qp as i32)
            .clamp(last - 6, last + 6)
            .clamp(0, MAX_QP as i32) as u8;
        if key {
            qp
        } else {
            offset_qp(qp, self.inter_offset())
        }
    }

    /// The index of a B-frame, frame `frame` (counted from 0) in coding order: `offset`
    /// indices coarser than the mode's index (constant quality) or than the P-frames'
    /// index before the pattern (bitrate). B-frames do not move the pattern.
    pub fn next_qp_b(&self, frame: u64, offset: u8) -> u8 {
        let base = match self.fixed_qp {
            Some(qp) if dither(frame) < self.fraction => (qp + 1).min(MAX_QP),
            Some(qp) => qp,
            None => self.last_qp[1],
        };
        offset_qp(base, offset as i32)
    }

    /// Records a coded B-frame of `bits`: under bitrate control its bits count against the
    /// budget, so the P-frames (and the B-frames' index after them) follow.
    pub fn update_b(&mut self, bits: f64) {
        if self.fixed_qp.is_none() {
            self.surplus += bits - self.frame_budget;
        }
        if self.last_p_bits > 0.0 {
            let share = (bits / self.last_p_bits).clamp(0.01, 2.0);
            self.b_share = 0.8 * self.b_share + 0.2 * share;
        }
    }

    /// The index that would have made a frame of `bits` at `qp` take `target` bits.
    pub fn retry_qp(&self, key: bool, qp: u8, bits: f64, target: f64) -> u8 {
        let a = exponent(key);
        qp_for(bits * (qstep16(qp) as f64).powf(a), target, a)
    }

    /// Records a coded frame.
    pub fn update(&mut self, key: bool, qp: u8, bits: f64) {
        let t = key as usize ^ 1;
        let c = bits * (qstep16(qp) as f64).powf(exponent(key));
        self.complexity[t] = Some(match self.complexity[t] {
            Some(old) if !key => 0.5 * old + 0.5 * c,
            _ => c,
        });
        self.last_qp[t] = if key {
            qp
        } else {
            offset_qp(qp, -self.inter_offset())
        };
        self.since_key = if key { 0 } else { self.since_key + 1 };
        if !key {
            self.last_p_bits = bits;
        }
        if self.fixed_qp.is_none() {
            self.surplus += bits - self.frame_budget;
        }
    }
}

/// `qp` moved by `offset` indices, within 0..=[`MAX_QP`].
fn offset_qp(qp: u8, offset: i32) -> u8 {
    (qp as i32 + offset).clamp(0, MAX_QP as i32) as u8
}

/// How fast bits fall as the step grows (bits ∝ step^-exponent): inter frames fall faster,
/// since more macroblocks become skips.
fn exponent(key: bool) -> f64 {
    if key {
        1.3
    } else {
        2.0
    }
}

/// The index whose step brings a frame of complexity `c` to `target` bits.
fn qp_for(c: f64, target: f64, exponent: f64) -> u8 {
    let want = (c / target.max(1.0)).powf(1.0 / exponent);
    (0..=MAX_QP)
        .min_by(|&a, &b| {
            let da = (qstep16(a) as f64 / want).ln().abs();
            let db = (qstep16(b) as f64 / want).ln().abs();
            da.total_cmp(&db)
        })
        .unwrap_or(MAX_QP)
}

/// A leaky-bucket model of the decoder's buffer: it starts full, each frame's bits leave it
/// when the frame is decoded, and it refills at the maximum rate for one frame duration
/// (never beyond its size). A stream respects the bound when no frame takes more bits than
/// the buffer holds at its turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vbv {
    /// Buffer size in bits.
    size: f64,
    /// Bits that flow in per frame.
    inflow: f64,
    /// Bits in the buffer now.
    fill: f64,
}

impl Vbv {
    /// A buffer of `bufsize_kbit` kbit filled at `maxrate_kbps` kbit/s, `frame_seconds` per
    /// frame. The buffer must hold at least one frame's inflow.
    pub fn new(maxrate_kbps: u32, bufsize_kbit: u32, frame_seconds: f64) -> Result<Vbv> {
        if maxrate_kbps == 0 || bufsize_kbit == 0 {
            return Err(Error::InvalidArgument(format!(
                "VBV maximum rate {maxrate_kbps} kbit/s and buffer {bufsize_kbit} kbit must \
                 both be at least 1"
            )));
        }
        let size = bufsize_kbit as f64 * 1000.0;
        let inflow = maxrate_kbps as f64 * 1000.0 * frame_seconds;
        if size < inflow {
            return Err(Error::InvalidArgument(format!(
                "VBV buffer of {bufsize_kbit} kbit holds less than one frame at \
                 {maxrate_kbps} kbit/s ({:.1} kbit per frame)",
                inflow / 1000.0
            )));
        }
        Ok(Vbv {
            size,
            inflow,
            fill: size,
        })
    }

    /// Bits the next frame may take.
    pub fn available(&self) -> f64 {
        self.fill
    }

    /// Takes a frame of `bits` out and refills for one frame duration; false when the frame
    /// took more than the buffer held (an underflow: the buffer is left empty).
    pub fn take(&mut self, bits: f64) -> bool {
        let fits = bits <= self.fill;
        self.fill = ((self.fill - bits).max(0.0) + self.inflow).min(self.size);
        fits
    }
}

impl RateControl {
    /// The finest index at which the complexity estimate of a frame type keeps a frame
    /// within `bits` (0 while no frame of that type was coded).
    pub fn qp_within(&self, key: bool, bits: f64) -> u8 {
        let t = key as usize ^ 1;
        match self.complexity[t] {
            Some(c) => {
                let a = exponent(key);
                let want = (c / bits.max(1.0)).powf(1.0 / a);
                (0..=MAX_QP)
                    .find(|&q| qstep16(q) as f64 >= want)
                    .unwrap_or(MAX_QP)
            }
            None => 0,
        }
    }

    /// The index for a second coding of a frame that took `bits` at `qp` when it should
    /// take at most `limit`: at least one index coarser.
    pub fn coarser_qp(&self, key: bool, qp: u8, bits: f64, limit: f64) -> u8 {
        let a = exponent(key);
        let want = (bits / limit.max(1.0)).powf(1.0 / a) * qstep16(qp) as f64;
        let q = (0..=MAX_QP)
            .find(|&q| qstep16(q) as f64 >= want)
            .unwrap_or(MAX_QP);
        q.max(qp.saturating_add(1)).min(MAX_QP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vbv_fills_at_the_rate_and_reports_underflow() {
        // 100 kbit/s at 10 frames/s: 10 kbit per frame into a 30 kbit buffer.
        let mut vbv = Vbv::new(100, 30, 0.1).unwrap();
        assert_eq!(vbv.available(), 30_000.0);
        assert!(vbv.take(25_000.0));
        assert_eq!(vbv.available(), 15_000.0);
        assert!(vbv.take(5_000.0));
        assert_eq!(vbv.available(), 20_000.0);
        assert!(vbv.take(0.0));
        assert!(vbv.take(0.0));
        assert_eq!(vbv.available(), 30_000.0, "never beyond its size");
        assert!(!vbv.take(30_001.0));
        assert_eq!(vbv.available(), 10_000.0);
        assert!(Vbv::new(100, 9, 0.1).is_err());
        assert!(Vbv::new(0, 9, 0.1).is_err());
        assert!(Vbv::new(10, 0, 0.1).is_err());
    }

    #[test]
    fn vbv_indices_follow_the_complexity() {
        let mut rc = RateControl::constant_quality(60, KEY_QP_OFFSET);
        assert_eq!(rc.qp_within(false, 1000.0), 0);
        rc.update(false, 24, 40_000.0);
        // The same bits allow the same index; a quarter of them a doubled step.
        assert_eq!(rc.qp_within(false, 40_000.0), 24);
        assert_eq!(rc.qp_within(false, 10_000.0), 30);
        assert_eq!(rc.coarser_qp(false, 24, 40_000.0, 10_000.0), 30);
        assert_eq!(rc.coarser_qp(false, 24, 40_000.0, 39_000.0), 25);
        assert_eq!(rc.coarser_qp(false, MAX_QP, 1e9, 1.0), MAX_QP);
    }

    #[test]
    fn fine_qp_spreads_its_fraction_over_frames() {
        let rc = RateControl::constant_fine(24.25, KEY_QP_OFFSET).with_pattern(false);
        let coarse = (0..1000).filter(|&n| rc.next_qp(false, n) == 25).count();
        assert!((240..=260).contains(&coarse), "{coarse}");
        assert!((0..1000).all(|n| matches!(rc.next_qp(false, n), 24 | 25)));
        assert_eq!(rc.next_qp(true, 1), rc.next_qp(false, 1) - KEY_QP_OFFSET);
        // A larger fraction keeps every coarse frame of a smaller one.
        let more = RateControl::constant_fine(24.5, KEY_QP_OFFSET).with_pattern(false);
        assert!((0..1000).all(|n| rc.next_qp(false, n) <= more.next_qp(false, n)));
        // Whole indices behave as the integer quality does.
        let whole = RateControl::constant_fine(24.0, KEY_QP_OFFSET);
        let q60 = RateControl::constant_quality(60, KEY_QP_OFFSET);
        let q60_flat = q60.clone().with_pattern(false);
        assert!((0..100).all(|n| rc.next_qp(false, n) >= q60_flat.next_qp(false, n)));
        assert!((0..100).all(|n| whole.next_qp(false, n) == q60.next_qp(false, n)));
        assert_eq!(
            RateControl::constant_fine(99.0, 0).next_qp(false, 3),
            MAX_QP
        );
    }

    #[test]
    fn quality_mapping_and_bitrate_steering() {
        assert_eq!(quality_to_qp(100), 6);
        assert_eq!(quality_to_qp(0), 51);
        assert_eq!(quality_to_qp(60), 24);
        let mut rc = RateControl::bitrate(100, 0.1, KEY_QP_OFFSET).with_pattern(false);
        assert!(rc.is_bitrate());
        rc.update(true, 26, 40_000.0);
        // Complexity says a step four times smaller... the index must go up for fewer bits.
        let qp = rc.next_qp(false, 1);
        assert!(qp > 26, "{qp}");
        rc.update(false, qp, 30_000.0);
        assert!(rc.next_qp(false, 1) >= qp);
    }

    #[test]
    fn inter_frames_follow_the_pattern_from_each_keyframe() {
        assert_eq!(INTER_QP_PATTERN.iter().map(|&o| o as i32).sum::<i32>(), 0);
        let mut rc = RateControl::constant_quality(60, KEY_QP_OFFSET);
        let mut frame = 0;
        for _group in 0..2 {
            assert_eq!(rc.next_qp(true, frame), 24 - KEY_QP_OFFSET);
            rc.update(true, 24 - KEY_QP_OFFSET, 50_000.0);
            frame += 1;
            for place in 1..=20usize {
                let qp = rc.next_qp(false, frame);
                assert_eq!(
                    qp as i32,
                    24 + INTER_QP_PATTERN[place % 8] as i32,
                    "{place}"
                );
                rc.update(false, qp, 5_000.0);
                frame += 1;
            }
        }
    }

    #[test]
    fn bitrate_mode_meets_its_budget_with_the_pattern() {
        // Frames whose bits follow the model exactly: 10 kbit per frame allowed.
        let mut rc = RateControl::bitrate(100, 0.1, KEY_QP_OFFSET);
        let (mut total, mut qps) = (0.0, Vec::new());
        for frame in 0..400u64 {
            let key = frame == 0;
            let qp = rc.next_qp(key, frame);
            let step = qstep16(qp) as f64;
            let bits = if key {
                4e7 / step.powf(1.3)
            } else {
                4e8 / step.powi(2)
            };
            rc.update(key, qp, bits);
            total += bits;
            qps.push(qp);
        }
        let mean = total / 400.0;
        assert!(
            (mean / 10_000.0 - 1.0).abs() < 0.05,
            "{mean} bits per frame"
        );
        // The offsets are applied around the index that meets the aim.
        let tail = &qps[200..216];
        let low = *tail.iter().min().unwrap();
        let high = *tail.iter().max().unwrap();
        assert!((3..=6).contains(&(high - low)), "{tail:?}");
    }
}
