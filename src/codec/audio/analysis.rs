//! Encoder analysis of a packet's frames: the forward (block-switched) MDCT of every
//! channel, the psychoacoustic thresholds, the stereo decision (intensity bands above a
//! frequency set by the bitrate, L/R or M/S per band below), and quantization of the result
//! at a given step offset.
//!
//! In: a [`Group`] of planar samples covering a packet's frames plus one frame of overlap,
//! with the framer's short-block decisions. Out: an [`Analysis`] holding, per frame, its
//! window, its coefficients, a base step index per band and, for short frames, a step gain
//! per short block, which [`quantize_channel`] turns into levels once rate control has
//! chosen the offset.
//!
//! Short frames are analysed block by block: the psychoacoustic model (built for `N/8`
//! coefficients and the short band layout) gives each block's masking threshold; the band
//! steps follow the frame's mean over blocks (shaped across bands as for long frames), and
//! each block's gain follows how far its own mean masking level lies from the frame's, so
//! the quiet blocks before an attack get finer steps than the attack itself, though no finer
//! than temporal pre-masking asks: a loud block lifts the levels of the blocks up to 10 ms
//! before it to its own less 1 dB per millisecond ([`PRE_MASKING_DB_PER_MS`]). The PSNR tune
//! uses equal steps and no gains.

use super::frame::MAX_PAN;
use super::noise;
use super::params::{effective_step, step_size, AudioParams, AudioTune, MAX_GAIN};
use crate::perceptual::audio::PsychoModel;
use crate::quant::band::{band_peaks, quantize_band, MAX_BLOCKS};
use crate::transform::switched::{SwitchedMdct, WindowSequence, SHORT_BLOCKS};

/// The estimated side cost, in bits per band, of choosing L/R or M/S band by band.
const SPLIT_BITS: f32 = 1.0;

/// Samples for one packet: `frames + 1` hops of every channel, starting one hop before the
/// packet's first frame.
#[derive(Debug, Clone)]
pub struct Group {
    pub first_frame: u64,
    pub frames: u8,
    pub output_samples: u32,
    pub samples: Vec<Vec<f32>>,
    /// Short-block decisions of frames `first_frame - 1 ..= first_frame + frames`.
    pub shorts: Vec<bool>,
}

/// One analysed frame.
#[derive(Debug, Clone)]
pub struct FrameAnalysis {
    pub sequence: WindowSequence,
    /// Per band of the frame's layout (stereo only, else empty): channels 0 and 1 hold mid
    /// and side instead of left and right there.
    pub ms: Vec<bool>,
    /// Pan index of every intensity band (the highest `pan.len()` bands of the layout,
    /// stereo only): channel 0 holds their mid, channel 1 zeros.
    pub pan: Vec<u8>,
    /// Coefficients per coded channel (interleaved short blocks in a short frame).
    pub coeffs: Vec<Vec<f32>>,
    /// Base step index per coded channel and band, before the rate offset (fractional).
    pub base_steps: Vec<Vec<f32>>,
    /// Step gain per coded channel and short block (empty in a long frame).
    pub gains: Vec<Vec<i32>>,
    /// Per coded channel and band, the largest magnitude of each interleaved block (one
    /// block in a long frame), for quantization at any offset.
    pub peaks: Vec<Vec<[f32; MAX_BLOCKS]>>,
    /// Per coded channel and band, the noise index (fractional) that would replace the
    /// band if it quantizes to zero, or `None` (below the noise start, or silent); empty
    /// when the tune fills no noise.
    pub noise: Vec<Vec<Option<f32>>>,
}

/// One analysed packet.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The packet's non-zero bands from the noise start carry energy indices (the
    /// perceptual tune off the speech path).
    pub energies: bool,
    pub first_frame: u64,
    pub frames: u8,
    pub output_samples: u32,
    pub frame: Vec<FrameAnalysis>,
}

/// Reusable transform and model state of one analysis worker.
#[derive(Debug, Clone)]
pub struct Analyzer {
    mdct: SwitchedMdct,
    model: PsychoModel,
    short_model: PsychoModel,
    edges: Vec<usize>,
    /// Band edges of a short frame's interleaved coefficients (8 × those of one block).
    short_edges: Vec<usize>,
    tune: AudioTune,
    masking: f32,
    /// The first band the encoder may fill with noise, long and short layout.
    noise_start: [usize; 2],
    /// The first band coded as mid only (side zeroed), long and short layout.
    intensity_start: [usize; 2],
    /// The first coefficient left zero (the lowpass), long and short layout; `N` for none.
    lowpass: [usize; 2],
    input: Vec<f32>,
    /// One short block's coefficients and thresholds (scratch).
    block: Vec<f32>,
    block_masks: Vec<f32>,
    /// The hop of one short block in milliseconds (pre-masking).
    block_ms: f32,
    /// See [`Analysis::energies`].
    energies: bool,
}

impl Analyzer {
    /// An analyzer; `masking` (0 to 1) is how far the perceptual tune follows the masking
    /// threshold (1: noise exactly shaped like the threshold, 0: white noise as in PSNR);
    /// from the first band at or above `lowpass_hz` (when given) every coefficient is left
    /// zero; `energies` marks the packets' non-zero bands from the noise start to carry
    /// their energy (perceptual tune only).
    pub fn new(
        params: &AudioParams,
        edges: &[usize],
        short_edges: &[usize],
        masking: f32,
        lowpass_hz: Option<u32>,
        energies: bool,
    ) -> Analyzer {
        let n = params.frame_size;
        let m = n / SHORT_BLOCKS;
        let block_edges: Vec<usize> = short_edges.iter().map(|e| e / SHORT_BLOCKS).collect();
        Analyzer {
            mdct: SwitchedMdct::new(n, params.window),
            model: PsychoModel::new(n, params.sample_rate, edges),
            short_model: PsychoModel::new(m, params.sample_rate, &block_edges),
            edges: edges.to_vec(),
            short_edges: short_edges.to_vec(),
            tune: params.tune,
            masking,
            noise_start: [
                noise::start_band(edges, n, params.sample_rate),
                noise::start_band(short_edges, n, params.sample_rate),
            ],
            intensity_start: match intensity_hz(params) {
                Some(hz) => [
                    intensity_band(edges, n, params.sample_rate, hz),
                    intensity_band(short_edges, n, params.sample_rate, hz),
                ],
                None => [edges.len() - 1, short_edges.len() - 1],
            },
            lowpass: match lowpass_hz {
                Some(hz) => [
                    edges[intensity_band(edges, n, params.sample_rate, hz as u64)],
                    short_edges[intensity_band(short_edges, n, params.sample_rate, hz as u64)],
                ],
                None => [n, n],
            },
            input: vec![0.0; 2 * n],
            block: vec![0.0; m],
            block_masks: vec![0.0; block_edges.len() - 1],
            block_ms: 1000.0 * m as f32 / params.sample_rate as f32,
            energies: energies && params.tune == AudioTune::Perceptual,
        }
    }

    /// Analyses every frame of `group`.
    pub fn analyze(&mut self, group: &Group) -> Analysis {
        let n = self.mdct.len();
        let channels = group.samples.len();
        let mut frames = Vec::with_capacity(group.frames as usize);
        for f in 0..group.frames as usize {
            let short = group.shorts.get(f + 1).copied().unwrap_or(false);
            let sequence = WindowSequence::from_neighbours(
                group.shorts.get(f).copied().unwrap_or(false),
                short,
                group.shorts.get(f + 2).copied().unwrap_or(false),
            );
            let bands = if short {
                self.short_edges.len() - 1
            } else {
                self.edges.len() - 1
            };
            // Thresholds per band (long), or per block and band (short, block-major).
            let per_channel = if short { SHORT_BLOCKS * bands } else { bands };
            let mut coeffs = Vec::with_capacity(channels);
            let mut masks = Vec::with_capacity(channels);
            for ch in 0..channels {
                self.input
                    .copy_from_slice(&group.samples[ch][f * n..f * n + 2 * n]);
                let mut c = vec![0f32; n];
                self.mdct.forward(&self.input, sequence, &mut c);
                c[self.lowpass[short as usize]..].fill(0.0);
                let mut t = vec![0f32; per_channel];
                if short {
                    self.short_thresholds(&c, &mut t);
                } else {
                    self.model.thresholds(&c, &mut t);
                }
                coeffs.push(c);
                masks.push(t);
            }
            let edges = if short {
                &self.short_edges
            } else {
                &self.edges
            };
            let start = self.intensity_start[short as usize];
            let (ms, pan) = if channels == 2 {
                let mut ms = self.mid_side_bands(short, &coeffs, &masks);
                // Intensity bands hold the mid only (rotated as M/S bands, the side zeroed
                // below) and the pan of the band's amplitude between the channels.
                ms[start..].fill(true);
                let pan = (start..bands)
                    .map(|b| {
                        pan_index(
                            &coeffs[0][edges[b]..edges[b + 1]],
                            &coeffs[1][edges[b]..edges[b + 1]],
                        )
                    })
                    .collect();
                (ms, pan)
            } else {
                (Vec::new(), Vec::new())
            };
            for (b, _) in ms.iter().enumerate().filter(|(_, &v)| v) {
                let (l, r) = coeffs.split_at_mut(1);
                let band = edges[b]..edges[b + 1];
                for (a, b) in l[0][band.clone()].iter_mut().zip(&mut r[0][band]) {
                    let m = (*a + *b) * std::f32::consts::FRAC_1_SQRT_2;
                    let s = (*a - *b) * std::f32::consts::FRAC_1_SQRT_2;
                    *a = m;
                    *b = s;
                }
                for i in (b..per_channel).step_by(bands) {
                    let t = masks[0][i].min(masks[1][i]);
                    masks[0][i] = t;
                    masks[1][i] = t;
                }
            }
            if channels == 2 {
                coeffs[1][edges[start]..].fill(0.0);
            }
            let mut base_steps = Vec::with_capacity(channels);
            let mut gains = Vec::with_capacity(channels);
            for t in &masks {
                if short {
                    let (steps, g) = self.short_steps(t);
                    base_steps.push(steps);
                    gains.push(g);
                } else {
                    base_steps.push(self.base_steps(t));
                }
            }
            let noise = if self.tune == AudioTune::Perceptual {
                (0..channels)
                    .map(|ch| {
                        let g = gains.get(ch).map_or(&[][..], |g| &g[..]);
                        let mut v = self.noise_indices(short, &coeffs[ch], g);
                        if ch == 1 {
                            v[start..].fill(None);
                        }
                        v
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let blocks = if short { SHORT_BLOCKS } else { 1 };
            let peaks = coeffs
                .iter()
                .map(|c| {
                    edges
                        .windows(2)
                        .map(|e| band_peaks(&c[e[0]..e[1]], blocks))
                        .collect()
                })
                .collect();
            frames.push(FrameAnalysis {
                sequence,
                ms,
                pan,
                peaks,
                coeffs,
                base_steps,
                gains,
                noise,
            });
        }
        Analysis {
            energies: self.energies,
            first_frame: group.first_frame,
            frames: group.frames,
            output_samples: group.output_samples,
            frame: frames,
        }
    }

    /// The noise index of every band of one channel frame from the noise start on (see
    /// [`FrameAnalysis::noise`]).
    fn noise_indices(&self, short: bool, coeffs: &[f32], gains: &[i32]) -> Vec<Option<f32>> {
        let edges = if short {
            &self.short_edges
        } else {
            &self.edges
        };
        let bands = edges.len() - 1;
        let start = self.noise_start[short as usize];
        (0..bands)
            .map(|b| {
                if b < start {
                    return None;
                }
                noise::noise_index(&coeffs[edges[b]..edges[b + 1]], gains)
            })
            .collect()
    }

    /// The masking threshold of every short block and band of a short frame's interleaved
    /// coefficients `c`, block-major, in the units of the coefficients' squares.
    fn short_thresholds(&mut self, c: &[f32], out: &mut [f32]) {
        let bands = self.block_masks.len();
        for b in 0..SHORT_BLOCKS {
            for (k, v) in self.block.iter_mut().enumerate() {
                *v = c[k * SHORT_BLOCKS + b];
            }
            self.short_model
                .thresholds(&self.block, &mut self.block_masks);
            out[b * bands..(b + 1) * bands].copy_from_slice(&self.block_masks);
        }
    }

    /// The step index that puts white quantization noise (`Δ²/12` per coefficient) at the
    /// masking threshold `t` of a band of `width` coefficients.
    fn full_step(t: f32, width: usize) -> f32 {
        4.0 * (12.0 * t / width as f32).sqrt().log2()
    }

    /// Step indices that put the noise at the masking threshold, followed in the log domain
    /// with the weight `masking`; all equal in the PSNR tune.
    fn base_steps(&self, masks: &[f32]) -> Vec<f32> {
        match self.tune {
            AudioTune::Psnr => vec![128.0; masks.len()],
            AudioTune::Perceptual => {
                let full: Vec<f32> = masks
                    .iter()
                    .enumerate()
                    .map(|(b, &t)| Self::full_step(t, self.edges[b + 1] - self.edges[b]))
                    .collect();
                // The frame's mean level stays absolute (quality mode relies on it); only
                // the shape across bands is scaled by the weight.
                let mean = full.iter().sum::<f32>() / full.len().max(1) as f32;
                full.iter()
                    .map(|&v| 128.0 + mean + self.masking * (v - mean))
                    .collect()
            }
        }
    }

    /// Band steps and block gains of a short frame from its block-major thresholds.
    fn short_steps(&self, masks: &[f32]) -> (Vec<f32>, Vec<i32>) {
        let bands = self.short_edges.len() - 1;
        if self.tune == AudioTune::Psnr {
            return (vec![128.0; bands], vec![0; SHORT_BLOCKS]);
        }
        let mut shape = vec![0f32; bands];
        let mut levels = [0f32; SHORT_BLOCKS];
        for b in 0..SHORT_BLOCKS {
            for (band, s) in shape.iter_mut().enumerate() {
                let width = (self.short_edges[band + 1] - self.short_edges[band]) / SHORT_BLOCKS;
                let v = Self::full_step(masks[b * bands + band], width);
                *s += v / SHORT_BLOCKS as f32;
                levels[b] += v / bands as f32;
            }
        }
        pre_mask(&mut levels, self.block_ms);
        let mean = levels.iter().sum::<f32>() / SHORT_BLOCKS as f32;
        // The loudest block keeps gain 0; the others are finer by their level difference.
        let top = levels.iter().fold(f32::MIN, |a, &b| a.max(b));
        let gains = levels
            .iter()
            .map(|&l| ((l - top).round() as i32).clamp(-MAX_GAIN, 0))
            .collect();
        let steps = shape
            .iter()
            .map(|&v| 128.0 + top + self.masking * (v - mean))
            .collect();
        (steps, gains)
    }

    /// The stereo choice per band: M/S where it is estimated to take fewer bits than L/R
    /// (`W/2 log2(1 + E/T)` per band and channel, per block and band in a short frame,
    /// whose thresholds are block-major), unless one choice for the whole frame is within
    /// [`SPLIT_BITS`] per band of it (a per-band choice costs about a bit per band), or the
    /// tune is PSNR.
    fn mid_side_bands(&self, short: bool, coeffs: &[Vec<f32>], masks: &[Vec<f32>]) -> Vec<bool> {
        let edges = if short {
            &self.short_edges
        } else {
            &self.edges
        };
        let bands = edges.len() - 1;
        let blocks = masks[0].len() / bands;
        let (mut lr_total, mut ms_total, mut best_total) = (0f32, 0f32, 0f32);
        let mut choice = vec![false; bands];
        for b in 0..bands {
            let mut lr = 0f32;
            let mut ms = 0f32;
            let (lo, hi) = (edges[b], edges[b + 1]);
            for block in 0..blocks {
                let mut e = [0f32; 4];
                for k in (lo + block..hi).step_by(blocks) {
                    let (l, r) = (coeffs[0][k], coeffs[1][k]);
                    e[0] += l * l;
                    e[1] += r * r;
                    let (m, s) = (l + r, l - r);
                    e[2] += 0.5 * m * m;
                    e[3] += 0.5 * s * s;
                }
                let i = block * bands + b;
                let t = masks[0][i].min(masks[1][i]).max(1e-12);
                let w = ((hi - lo) / blocks) as f32;
                lr += w * ((1.0 + e[0] / t).log2() + (1.0 + e[1] / t).log2());
                ms += w * ((1.0 + e[2] / t).log2() + (1.0 + e[3] / t).log2());
            }
            choice[b] = ms < lr;
            lr_total += lr;
            ms_total += ms;
            best_total += lr.min(ms);
        }
        // The PSNR tune keeps one choice per frame (per band measured 0.02 to 0.03 dB
        // lower SNR on the corpus music at 64 and 128 kbit/s).
        let split_cost = SPLIT_BITS * bands as f32;
        if self.tune == AudioTune::Psnr || best_total + split_cost >= lr_total.min(ms_total) {
            choice.fill(ms_total < lr_total);
        }
        choice
    }
}

/// How far below a later block's masking level pre-masking holds a block's, in dB per
/// millisecond between them (0 dB at the later block itself), and the longest distance it
/// reaches. Measured on the corpus (docs/BENCH.md, "Pre-masking"; ViSQOL at 48 / 64 / 96 /
/// 128 kbit/s): 4.587 / 4.629 / 4.661 / 4.687 against 4.582 / 4.624 / 4.660 / 4.686
/// without; 0.7 and 1.5 dB/ms, or 20 ms, within 0.002; 10 dB + 10 dB/ms over 5 ms (the
/// classic few milliseconds) changed nothing measurable.
const PRE_MASKING_DB_PER_MS: f32 = 1.0;
const PRE_MASKING_MS: f32 = 10.0;

/// Temporal pre-masking across the short blocks of a frame: a loud block masks the blocks
/// shortly before it, so each block's mean masking level `levels` (step-index units of 1.5
/// dB) is raised to at least every later block's within [`PRE_MASKING_MS`], less
/// [`PRE_MASKING_DB_PER_MS`] per millisecond between them (blocks of `block_ms` each).
/// The quiet blocks before an attack then get steps less fine than their own level asks.
fn pre_mask(levels: &mut [f32; SHORT_BLOCKS], block_ms: f32) {
    let source = *levels;
    for b in 0..SHORT_BLOCKS {
        for (d, &later) in source[b + 1..].iter().enumerate() {
            let ms = (d + 1) as f32 * block_ms;
            if ms > PRE_MASKING_MS {
                break;
            }
            levels[b] = levels[b].max(later - PRE_MASKING_DB_PER_MS * ms / 1.5);
        }
    }
}

/// The frequency from which a stereo encode codes intensity bands, or `None`: the
/// perceptual tune at an average bitrate of at most 80 kbit/s per channel; 3 kHz at 24
/// kbit/s per channel or less, 4 kHz at 32, 6 kHz at 48, 12 kHz at 64, 20 kHz at 80, linear
/// in between (the choice of Opus's CELT layer at these rates, a little lower).
pub fn intensity_hz(params: &AudioParams) -> Option<u64> {
    const POINTS: [(f64, f64); 5] = [
        (24.0, 3_000.0),
        (32.0, 4_000.0),
        (48.0, 6_000.0),
        (64.0, 12_000.0),
        (80.0, 20_000.0),
    ];
    if params.channels != 2 || params.tune != AudioTune::Perceptual || params.target_kbps == 0 {
        return None;
    }
    let per_channel = params.target_kbps as f64 / 2.0;
    if per_channel > POINTS[4].0 {
        return None;
    }
    let mut hz = POINTS[0].1;
    for pair in POINTS.windows(2) {
        let ((r0, f0), (r1, f1)) = (pair[0], pair[1]);
        if per_channel > r0 {
            hz = f0 + (f1 - f0) * ((per_channel - r0) / (r1 - r0)).min(1.0);
        }
    }
    Some(hz.round() as u64)
}

/// The pan index of an intensity band with left coefficients `l` and right ones `r`: the
/// left channel's share of the two amplitudes (root energies) in [`MAX_PAN`]ths, the centre
/// for a silent band. The decoder's `√2 · share · mid` and `√2 · (1 − share) · mid` keep the
/// mono downmix and give each channel its amplitude where one source dominates the band.
fn pan_index(l: &[f32], r: &[f32]) -> u8 {
    let a = l.iter().map(|v| v * v).sum::<f32>().sqrt();
    let b = r.iter().map(|v| v * v).sum::<f32>().sqrt();
    if a + b <= 0.0 {
        return MAX_PAN / 2;
    }
    (MAX_PAN as f32 * a / (a + b))
        .round()
        .clamp(0.0, MAX_PAN as f32) as u8
}

/// The first band of `edges` (coefficients of frames of `n` at `rate` Hz) at or above `hz`.
fn intensity_band(edges: &[usize], n: usize, rate: u32, hz: u64) -> usize {
    let first_bin = (hz * 2 * n as u64).div_ceil(rate as u64) as usize;
    edges
        .iter()
        .position(|&e| e >= first_bin)
        .unwrap_or(edges.len() - 1)
}

/// Quantizes one channel frame at `offset` quarter-octaves from its base steps: step
/// indices into `steps`, levels into `q` (dead zone: a rounding below one half; `rounding`
/// holds the rounding of the bands below `noise_start` and of those from it on). `gains`
/// holds the step gain of every short block of a short frame (coefficient `k` belongs to
/// block `k mod 8`, as short band edges are multiples of 8), and is empty for a long frame;
/// `peaks` holds every band's block peaks ([`FrameAnalysis::peaks`]).
#[allow(clippy::too_many_arguments)]
pub fn quantize_channel(
    coeffs: &[f32],
    base_steps: &[f32],
    gains: &[i32],
    peaks: &[[f32; MAX_BLOCKS]],
    edges: &[usize],
    offset: i32,
    rounding: [f32; 2],
    noise_start: usize,
    q: &mut [i32],
    steps: &mut [u8],
) {
    let step = |s: u8, gain: i32| step_size(effective_step(s, gain));
    for b in 0..edges.len() - 1 {
        let (lo, hi) = (edges[b], edges[b + 1]);
        let s = (base_steps[b].round() as i32 + offset).clamp(0, 255) as u8;
        steps[b] = quantize_band(
            &coeffs[lo..hi],
            s,
            gains,
            &peaks[b],
            rounding[(b >= noise_start) as usize],
            step,
            &mut q[lo..hi],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_masking_lifts_only_the_blocks_shortly_before_a_loud_one() {
        // Blocks of 2 ms: the attack at block 6 (level 20, 30 dB above the rest).
        let mut levels = [0f32; SHORT_BLOCKS];
        levels[6] = 20.0;
        pre_mask(&mut levels, 2.0);
        // 2 ms before: 20 - 2 dB / 1.5; 10 ms before (block 1): 20 - 10 / 1.5; block 0 is
        // 12 ms before, out of reach; block 7 comes after the attack.
        assert!((levels[5] - (20.0 - 2.0 / 1.5)).abs() < 1e-4, "{levels:?}");
        assert!((levels[1] - (20.0 - 10.0 / 1.5)).abs() < 1e-4, "{levels:?}");
        assert_eq!(levels[0], 0.0);
        assert_eq!(levels[6], 20.0);
        assert_eq!(levels[7], 0.0);
        // A block louder than its pre-masking keeps its own level.
        let mut loud = [30f32; SHORT_BLOCKS];
        loud[7] = 0.0;
        pre_mask(&mut loud, 2.0);
        assert_eq!(loud, {
            let mut v = [30f32; SHORT_BLOCKS];
            v[7] = 0.0;
            v
        });
    }
}
