//! Encoder analysis of a packet's frames: the forward MDCT of every channel, the
//! psychoacoustic thresholds, the stereo (L/R or M/S) decision, and quantization of the
//! result at a given step offset.
//!
//! In: a [`Group`] of planar samples covering a packet's frames plus one frame of overlap.
//! Out: an [`Analysis`] holding coefficients and a base step index per band, which
//! [`quantize_channel`] turns into levels once rate control has chosen the offset.

use super::params::{AudioParams, AudioTune};
use crate::perceptual::audio::PsychoModel;
use crate::transform::mdct::Mdct;

/// Samples for one packet: `frames + 1` hops of every channel, starting one hop before the
/// packet's first frame.
#[derive(Debug, Clone)]
pub struct Group {
    pub first_frame: u64,
    pub frames: u8,
    pub output_samples: u32,
    pub samples: Vec<Vec<f32>>,
}

/// One analysed frame.
#[derive(Debug, Clone)]
pub struct FrameAnalysis {
    /// Channels 0 and 1 hold mid and side instead of left and right.
    pub ms: bool,
    /// Coefficients per coded channel.
    pub coeffs: Vec<Vec<f32>>,
    /// Base step index per coded channel and band, before the rate offset (fractional).
    pub base_steps: Vec<Vec<f32>>,
}

/// One analysed packet.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub first_frame: u64,
    pub frames: u8,
    pub output_samples: u32,
    pub frame: Vec<FrameAnalysis>,
}

/// Reusable transform and model state of one analysis worker.
#[derive(Debug, Clone)]
pub struct Analyzer {
    mdct: Mdct,
    model: PsychoModel,
    edges: Vec<usize>,
    tune: AudioTune,
    masking: f32,
    input: Vec<f32>,
}

impl Analyzer {
    /// An analyzer; `masking` (0 to 1) is how far the perceptual tune follows the masking
    /// threshold (1: noise exactly shaped like the threshold, 0: white noise as in PSNR).
    pub fn new(params: &AudioParams, edges: &[usize], masking: f32) -> Analyzer {
        Analyzer {
            mdct: Mdct::new(params.frame_size, params.window),
            model: PsychoModel::new(params.frame_size, params.sample_rate, edges),
            edges: edges.to_vec(),
            tune: params.tune,
            masking,
            input: vec![0.0; 2 * params.frame_size],
        }
    }

    /// Analyses every frame of `group`.
    pub fn analyze(&mut self, group: &Group) -> Analysis {
        let n = self.mdct.len();
        let bands = self.edges.len() - 1;
        let channels = group.samples.len();
        let mut frames = Vec::with_capacity(group.frames as usize);
        for f in 0..group.frames as usize {
            let mut coeffs = Vec::with_capacity(channels);
            let mut masks = Vec::with_capacity(channels);
            for ch in 0..channels {
                self.input
                    .copy_from_slice(&group.samples[ch][f * n..f * n + 2 * n]);
                let mut c = vec![0f32; n];
                self.mdct.forward(&self.input, &mut c);
                let mut t = vec![0f32; bands];
                self.model.thresholds(&c, &mut t);
                coeffs.push(c);
                masks.push(t);
            }
            let ms = channels == 2 && self.prefer_mid_side(&coeffs, &masks);
            if ms {
                let (l, r) = coeffs.split_at_mut(1);
                for (a, b) in l[0].iter_mut().zip(r[0].iter_mut()) {
                    let m = (*a + *b) * std::f32::consts::FRAC_1_SQRT_2;
                    let s = (*a - *b) * std::f32::consts::FRAC_1_SQRT_2;
                    *a = m;
                    *b = s;
                }
                for b in 0..bands {
                    let t = masks[0][b].min(masks[1][b]);
                    masks[0][b] = t;
                    masks[1][b] = t;
                }
            }
            let base_steps = masks.iter().map(|t| self.base_steps(t)).collect();
            frames.push(FrameAnalysis {
                ms,
                coeffs,
                base_steps,
            });
        }
        Analysis {
            first_frame: group.first_frame,
            frames: group.frames,
            output_samples: group.output_samples,
            frame: frames,
        }
    }

    /// Step indices that put white quantization noise (`Δ²/12` per coefficient) at the
    /// masking threshold, followed in the log domain with the weight `masking`; all equal in
    /// the PSNR tune.
    fn base_steps(&self, masks: &[f32]) -> Vec<f32> {
        match self.tune {
            AudioTune::Psnr => vec![128.0; masks.len()],
            AudioTune::Perceptual => {
                let full: Vec<f32> = masks
                    .iter()
                    .enumerate()
                    .map(|(b, &t)| {
                        let width = (self.edges[b + 1] - self.edges[b]) as f32;
                        4.0 * (12.0 * t / width).sqrt().log2()
                    })
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

    /// Estimated bits of L/R against M/S: `W/2 log2(1 + E/T)` per band and channel.
    fn prefer_mid_side(&self, coeffs: &[Vec<f32>], masks: &[Vec<f32>]) -> bool {
        let mut lr = 0f32;
        let mut ms = 0f32;
        for b in 0..self.edges.len() - 1 {
            let (lo, hi) = (self.edges[b], self.edges[b + 1]);
            let mut e = [0f32; 4];
            for k in lo..hi {
                let (l, r) = (coeffs[0][k], coeffs[1][k]);
                e[0] += l * l;
                e[1] += r * r;
                let (m, s) = (l + r, l - r);
                e[2] += 0.5 * m * m;
                e[3] += 0.5 * s * s;
            }
            let t = masks[0][b].min(masks[1][b]).max(1e-12);
            let w = (hi - lo) as f32;
            lr += w * ((1.0 + e[0] / t).log2() + (1.0 + e[1] / t).log2());
            ms += w * ((1.0 + e[2] / t).log2() + (1.0 + e[3] / t).log2());
        }
        ms < lr
    }
}

/// Largest level magnitude the encoder produces.
const MAX_CODED_LEVEL: f32 = 32_768.0;

/// Quantizes one channel frame at `offset` quarter-octaves from its base steps: step
/// indices into `steps`, levels into `q` (dead zone: `rounding` below one half).
pub fn quantize_channel(
    coeffs: &[f32],
    base_steps: &[f32],
    edges: &[usize],
    offset: i32,
    rounding: f32,
    q: &mut [i32],
    steps: &mut [u8],
) {
    for b in 0..edges.len() - 1 {
        let mut s = (base_steps[b].round() as i32 + offset).clamp(0, 255) as u8;
        // Keep levels below 2^15 (far inside what the reader accepts): a finer step than
        // that buys nothing at any bitrate.
        let peak = coeffs[edges[b]..edges[b + 1]]
            .iter()
            .fold(0f32, |m, &c| m.max(c.abs()));
        while s < 255 && peak / super::frame::step_size(s) >= MAX_CODED_LEVEL {
            s += 1;
        }
        steps[b] = s;
        let inverse = 1.0 / super::frame::step_size(s);
        for k in edges[b]..edges[b + 1] {
            let v = coeffs[k] * inverse;
            let m = (v.abs() + rounding) as i32;
            q[k] = if v < 0.0 { -m } else { m };
        }
    }
}
