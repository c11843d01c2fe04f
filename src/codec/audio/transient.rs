//! Transient detection: which frames the encoder codes as eight short blocks.
//!
//! In: the input samples in order (interleaved, as the framer reads them). Out: one
//! decision per frame, "short" when an attack falls in the frame's centre region.
//!
//! Method (an energy-ratio detector in the spirit of the AAC and Vorbis encoders):
//! 1. Every channel is high-passed by a first difference `x[t] − x[t−1]` (+6 dB per octave,
//!    zero at DC), so the sharp, bright onsets that smear audibly dominate over bass.
//! 2. The signal is cut into sub-blocks of `N/8` samples (the short block hop), aligned on
//!    multiples of `N/8`; each sub-block's energy is summed over the channels.
//! 3. The recent past is a peak follower: the largest earlier sub-block energy, decayed by
//!    [`PAST_DECAY_DB_PER_MS`] per millisecond since. A sub-block is an attack when its
//!    energy exceeds the past by the threshold ratio and its mean square is above
//!    [`ENERGY_FLOOR`] (onsets near silence level cannot be heard smearing). The very first
//!    sub-block has no past and is never an attack (whatever precedes sample 0 is dropped).
//! 4. Frame `j` spans samples `[(j−1)N, (j+1)N)`; its short blocks' centre region, the part
//!    only it reconstructs, is `[(j−½)N, (j+½)N)`, sub-blocks `8j−4 .. 8j+3`. The frame is
//!    short when one of them is an attack: then no long window spreads the attack's
//!    quantization noise backwards, and the noise before the attack is confined to one
//!    short window (`N/4` samples, 5.3 ms for `N = 1024` at 48 kHz).
//!
//! The detector runs once, in order, in the framer (the source stage), so every frame is
//! decided exactly once and the packets on either side of a border agree on its window.
//! Cost: three operations per sample and channel.

use std::collections::VecDeque;

use crate::transform::switched::SHORT_BLOCKS;

/// How fast the remembered past energy decays, in dB per millisecond. Slow enough that a
/// steady tone down to about 30 Hz (whose high-passed energy in short sub-blocks swings
/// with its phase, peaking every half period) never looks like an attack at the default
/// threshold.
pub const PAST_DECAY_DB_PER_MS: f32 = 0.4;
/// Mean square (of the high-passed signal, per sample and summed over channels) below which
/// no sub-block is an attack: about −60 dB.
pub const ENERGY_FLOOR: f32 = 1e-6;
/// The default attack threshold: a sub-block with 5 times (7 dB) the energy of the recent
/// past. Tuned on the corpus (docs/BENCH.md, "Block switching" and "Against Opus"): 5 gave
/// the best ViSQOL and pre-echo of 5, 10 and 20 on every file; with noise filling and
/// intensity bands, in frames of 1024, 3 scored higher (mean MOS-LQO +0.012 / +0.015 /
/// +0.001 at 64 / 96 / 128 kbit/s); in the perceptual tune's frames of 512 (10.7 ms), 5
/// again: 4.582 / 4.624 / 4.660 / 4.686 at 48 / 64 / 96 / 128 kbit/s against 4.573 / 4.617
/// / 4.655 / 4.682 with 3 (speech 4.530 / 4.803 against 4.499 / 4.790 at 16 / 24), 8
/// 4.586 / 4.628, 12 4.581 / 4.625, 2 4.556 / 4.597 at 48 / 64.
pub const DEFAULT_THRESHOLD: f32 = 5.0;
/// The PSNR tune's attack threshold: 5, the one its SNR was measured with (docs/BENCH.md,
/// "Block switching"); the same as the perceptual tune's since its frames of 512.
pub const PSNR_THRESHOLD: f32 = 5.0;

/// Decides, frame by frame, where the short blocks go.
#[derive(Debug, Clone)]
pub struct TransientDetector {
    channels: usize,
    /// Samples per sub-block, `N/8`.
    sub: usize,
    threshold: f32,
    /// Factor applied to the past energy per sub-block.
    decay: f32,
    /// Last sample of every channel (the high-pass memory).
    last: Vec<f32>,
    /// Energy and samples so far of the current sub-block.
    energy: f32,
    filled: usize,
    /// Index of the current sub-block.
    index: u64,
    /// Decayed peak of earlier sub-block energies; None before the first one.
    past: Option<f32>,
    /// Decisions of frames `base ..`: true when the frame holds an attack.
    flags: VecDeque<bool>,
    base: u64,
    ended: bool,
}

impl TransientDetector {
    /// A detector for frames of `n` coefficients at `rate` Hz with `channels` channels, and
    /// the attack `threshold` (an energy ratio over the recent past, above 1).
    pub fn new(n: usize, rate: u32, channels: usize, threshold: f32) -> TransientDetector {
        let sub = n / SHORT_BLOCKS;
        let ms = 1000.0 * sub as f32 / rate as f32;
        TransientDetector {
            channels: channels.max(1),
            sub,
            threshold,
            decay: 10f32.powf(-PAST_DECAY_DB_PER_MS * ms / 10.0),
            last: vec![0.0; channels.max(1)],
            energy: 0.0,
            filled: 0,
            index: 0,
            past: None,
            // Frame 0's region starts half a frame before sample 0: four sub-blocks of it
            // lie before the input and are never attacks.
            flags: VecDeque::new(),
            base: 0,
            ended: false,
        }
    }

    /// Feeds interleaved samples, in order.
    pub fn push(&mut self, interleaved: &[f32]) {
        let c = self.channels;
        let mut rest = &interleaved[..interleaved.len() / c * c];
        while !rest.is_empty() {
            // Up to the end of the current sub-block, summed in sample order.
            let take = ((self.sub - self.filled) * c).min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            let mut energy = self.energy;
            if c == 2 {
                let (mut l, mut r) = (self.last[0], self.last[1]);
                for frame in chunk.chunks_exact(2) {
                    let d = frame[0] - l;
                    l = frame[0];
                    energy += d * d;
                    let d = frame[1] - r;
                    r = frame[1];
                    energy += d * d;
                }
                self.last[0] = l;
                self.last[1] = r;
            } else {
                for frame in chunk.chunks_exact(c) {
                    for (last, &x) in self.last.iter_mut().zip(frame) {
                        let d = x - *last;
                        *last = x;
                        energy += d * d;
                    }
                }
            }
            self.energy = energy;
            self.filled += take / c;
            if self.filled == self.sub {
                self.close_sub_block();
            }
            rest = tail;
        }
    }

    /// Marks the end of the input: a partial sub-block is judged as if padded with
    /// silence, and every frame not decided yet is long.
    pub fn finish(&mut self) {
        if self.filled > 0 {
            self.close_sub_block();
        }
        self.ended = true;
    }

    /// Judges the sub-block just completed and records its frame's decision.
    fn close_sub_block(&mut self) {
        let e = self.energy;
        let attack = match self.past {
            Some(p) => e > self.threshold * p && e > ENERGY_FLOOR * self.sub as f32,
            None => false,
        };
        self.past = Some(self.past.map_or(e, |p| (p * self.decay).max(e)));
        // Sub-block s lies in the centre region of frame (s + 4) / 8.
        let frame = (self.index + SHORT_BLOCKS as u64 / 2) / SHORT_BLOCKS as u64;
        while self.base + (self.flags.len() as u64) <= frame {
            self.flags.push_back(false);
        }
        if attack && frame >= self.base {
            let i = (frame - self.base) as usize;
            self.flags[i] = true;
        }
        self.index += 1;
        self.energy = 0.0;
        self.filled = 0;
    }

    /// Whether frame `j` is decided: its whole centre region has been seen, or the input
    /// has ended.
    fn is_decided(&self, j: u64) -> bool {
        self.ended || self.index >= SHORT_BLOCKS as u64 * j + SHORT_BLOCKS as u64 / 2
    }

    /// Whether frame `j` holds an attack (false when not decided, or already forgotten).
    pub fn is_short(&self, j: u64) -> bool {
        if !self.is_decided(j) || j < self.base {
            return false;
        }
        self.flags
            .get((j - self.base) as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Forgets the decisions of the frames before `j`.
    pub fn forget_before(&mut self, j: u64) {
        while self.base < j && !self.flags.is_empty() {
            self.flags.pop_front();
            self.base += 1;
        }
        if self.flags.is_empty() {
            self.base = self.base.max(j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shorts(samples: &[f32], channels: usize, n: usize, rate: u32) -> Vec<bool> {
        let mut d = TransientDetector::new(n, rate, channels, DEFAULT_THRESHOLD);
        for chunk in samples.chunks(channels * 1000) {
            d.push(chunk);
        }
        d.finish();
        let frames = (samples.len() / channels).div_ceil(n) as u64 + 1;
        (0..frames).map(|j| d.is_short(j)).collect()
    }

    #[test]
    fn fires_on_a_click_after_silence_in_the_right_frame() {
        let (n, rate) = (1024, 48_000);
        for at in [5000usize, 5 * 1024 + 600, 5 * 1024 + 400] {
            let mut x = vec![0f32; 12 * n];
            // A castanet-like burst: a decaying 3 kHz tone with a sharp attack.
            for i in 0..2000 {
                let t = i as f32 / rate as f32;
                x[at + i] =
                    0.5 * (-t * 400.0).exp() * (2.0 * std::f32::consts::PI * 3000.0 * t).sin();
            }
            let s = shorts(&x, 1, n, rate);
            let want = (at as f64 / n as f64 + 0.5).floor() as usize;
            let fired: Vec<usize> = (0..s.len()).filter(|&j| s[j]).collect();
            assert_eq!(fired, vec![want], "attack at {at}");
        }
    }

    #[test]
    fn quiet_on_steady_tones() {
        let rate = 48_000;
        for n in [256usize, 1024, 2048] {
            for hz in [30.0f32, 55.0, 440.0, 3000.0, 12_000.0] {
                let x: Vec<f32> = (0..rate as usize)
                    .flat_map(|i| {
                        let t = i as f32 / rate as f32;
                        // Steady from the first sample, with a slow tremolo.
                        let env = 1.0 + 0.2 * (6.0 * t).sin();
                        let v = 0.3 * env * (2.0 * std::f32::consts::PI * hz * t).sin();
                        [v, 0.7 * v]
                    })
                    .collect();
                let s = shorts(&x, 2, n, rate);
                assert!(s.iter().all(|&v| !v), "{n} {hz} Hz: {s:?}");
            }
        }
    }

    #[test]
    fn start_of_input_and_silence_never_fire() {
        let rate = 44_100;
        // Loud noise from sample 0: no attack (nothing before it to smear into).
        let mut seed = 1u32;
        let x: Vec<f32> = (0..20_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        assert!(shorts(&x, 1, 1024, rate).iter().all(|&v| !v));
        assert!(shorts(&[0.0; 5000], 1, 512, rate).iter().all(|&v| !v));
        // A click far below the floor does not fire either.
        let mut y = vec![0f32; 8000];
        y[4000] = 1e-4;
        assert!(shorts(&y, 1, 256, rate).iter().all(|&v| !v));
    }
}
