//! The psychoacoustic model of the audio codec: how much quantization noise each band of an
//! MDCT frame can hide.
//!
//! In: the `N` MDCT coefficients of one channel frame (orthonormal scaling, full scale 1.0),
//! the band edges the codec quantizes with, and the sample rate. Out: for every band the
//! noise energy (sum over the band's coefficients, the same units as their squares) that
//! stays below the masking threshold.
//!
//! The model follows the classic steps of the MPEG-1 psychoacoustic model 2 and Johnston's
//! perceptual entropy paper, on MDCT band energies instead of a separate FFT:
//! 1. band energies, and each band's centre on the Bark scale (Zwicker's
//!    `13 atan(0.76 f) + 3.5 atan((f / 7.5)²)`, f in kHz);
//! 2. a tonality estimate per band from the spectral flatness of the band's coefficients
//!    (flat = noise-like, peaky = tonal), with its neighbours' squares smoothing the MDCT
//!    phase ripple of steady tones;
//! 3. the energies spread over the Bark axis with Schroeder's spreading function
//!    `15.81 + 7.5 (dz + 0.474) - 17.5 √(1 + (dz + 0.474)²)` dB;
//! 4. a masking offset below the spread energy that depends on the tonality: `14.5 + z` dB
//!    for a tone masking noise, `5.5` dB for noise masking a tone (Johnston), mixed linearly;
//! 5. the absolute threshold of hearing (Terhardt's formula), placing full scale at 96 dB SPL,
//!    as a floor.

/// Full scale (a sine of amplitude 1.0) in dB SPL, the assumed playback level.
pub const FULL_SCALE_DB_SPL: f64 = 96.0;

/// The Bark value of a frequency in Hz (Zwicker and Terhardt).
pub fn bark(hz: f64) -> f64 {
    let khz = hz / 1000.0;
    13.0 * (0.76 * khz).atan() + 3.5 * (khz / 7.5).powi(2).atan()
}

/// The absolute threshold of hearing in dB SPL at `hz` (Terhardt), capped at 96 dB.
pub fn threshold_in_quiet_db(hz: f64) -> f64 {
    let f = (hz / 1000.0).max(0.02);
    let db = 3.64 * f.powf(-0.8) - 6.5 * (-0.6 * (f - 3.3).powi(2)).exp() + 1e-3 * f.powi(4);
    db.min(FULL_SCALE_DB_SPL)
}

/// Schroeder's spreading function: the masking at `dz` Bark above the masker, linear power.
fn spreading(dz: f64) -> f64 {
    let x = dz + 0.474;
    let db = 15.81 + 7.5 * x - 17.5 * (1.0 + x * x).sqrt();
    if db < -100.0 {
        0.0
    } else {
        10f64.powf(db / 10.0)
    }
}

/// A psychoacoustic model for one frame size, sample rate and band layout.
#[derive(Debug, Clone)]
pub struct PsychoModel {
    edges: Vec<usize>,
    /// `spread[b * bands + j]`: how much of band j's energy masks band b, normalised.
    spread: Vec<f32>,
    /// Bark centre of every band.
    centres: Vec<f32>,
    /// Noise energy allowed by the threshold in quiet, per band.
    quiet: Vec<f32>,
    energies: Vec<f32>,
    tonality: Vec<f32>,
}

impl PsychoModel {
    /// A model for frames of `n` coefficients at `rate` Hz quantized in the bands `edges`
    /// (`edges[b]..edges[b + 1]`, ending at `n`).
    pub fn new(n: usize, rate: u32, edges: &[usize]) -> PsychoModel {
        let bands = edges.len().saturating_sub(1);
        let bin_hz = rate as f64 / (2.0 * n as f64);
        let centres: Vec<f32> = (0..bands)
            .map(|b| bark(bin_hz * (edges[b] + edges[b + 1]) as f64 / 2.0) as f32)
            .collect();
        let mut spread = vec![0f32; bands * bands];
        for b in 0..bands {
            let row: Vec<f64> = (0..bands)
                .map(|j| spreading(centres[b] as f64 - centres[j] as f64))
                .collect();
            for j in 0..bands {
                spread[b * bands + j] = row[j] as f32;
            }
        }
        // Per coefficient, a sine at full scale carries energy n / 2 in one frame; the
        // quietest audible noise per coefficient is that scaled by the threshold in quiet.
        let quiet = (0..bands)
            .map(|b| {
                let lowest = (edges[b]..edges[b + 1])
                    .map(|k| threshold_in_quiet_db(bin_hz * (k as f64 + 0.5)))
                    .fold(f64::INFINITY, f64::min);
                let per_coeff = n as f64 / 2.0 * 10f64.powf((lowest - FULL_SCALE_DB_SPL) / 10.0);
                (per_coeff * (edges[b + 1] - edges[b]) as f64) as f32
            })
            .collect();
        PsychoModel {
            edges: edges.to_vec(),
            spread,
            centres,
            quiet,
            energies: vec![0.0; bands],
            tonality: vec![0.0; bands],
        }
    }

    /// The number of bands.
    pub fn bands(&self) -> usize {
        self.edges.len().saturating_sub(1)
    }

    /// Writes the allowed noise energy of every band of `coeffs` into `out`.
    pub fn thresholds(&mut self, coeffs: &[f32], out: &mut [f32]) {
        let bands = self.bands();
        for b in 0..bands {
            let (lo, hi) = (self.edges[b], self.edges[b + 1]);
            let mut sum = 0f32;
            let mut smoothed_sum = 0f32;
            let mut log_sum = 0f64;
            // The product of up to eight smoothed energies (each within 1e-20 and about
            // 1e12) stays inside f64's range, so one logarithm serves eight coefficients.
            let mut product = 1f64;
            for k in lo..hi {
                let e = coeffs[k] * coeffs[k];
                sum += e;
                // Smooth the MDCT's phase ripple with the neighbours before the flatness.
                let left = if k > 0 { coeffs[k - 1] } else { 0.0 };
                let right = coeffs.get(k + 1).copied().unwrap_or(0.0);
                let p = e + 0.5 * (left * left + right * right) + 1e-20;
                smoothed_sum += p;
                product *= p as f64;
                if (k - lo) % 8 == 7 {
                    log_sum += product.ln();
                    product = 1.0;
                }
            }
            log_sum += product.ln();
            let log_sum = log_sum as f32;
            let width = (hi - lo) as f32;
            self.energies[b] = sum;
            let smoothed_mean = smoothed_sum / width;
            // Spectral flatness in dB: 0 for white noise, very negative for a pure tone.
            let flatness_db =
                10.0 * (log_sum / width - smoothed_mean.ln()) / std::f32::consts::LN_10;
            self.tonality[b] = if hi - lo < 3 {
                0.5
            } else {
                (flatness_db / -12.0).clamp(0.0, 1.0)
            };
        }
        for b in 0..bands {
            let row = &self.spread[b * bands..(b + 1) * bands];
            let mut spread_energy = 0f32;
            let mut tonal_weight = 0f32;
            for j in 0..bands {
                let contribution = row[j] * self.energies[j];
                spread_energy += contribution;
                tonal_weight += contribution * self.tonality[j];
            }
            let tonality = if spread_energy > 0.0 {
                tonal_weight / spread_energy
            } else {
                0.0
            };
            let offset_db = tonality * (14.5 + self.centres[b]) + (1.0 - tonality) * 5.5;
            let masked = spread_energy * 10f32.powf(-offset_db / 10.0);
            out[b] = masked.max(self.quiet[b]).max(1e-20);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bark_and_quiet_threshold() {
        assert!((bark(1000.0) - 8.5).abs() < 0.2);
        assert!(bark(20_000.0) > 24.0);
        // Most sensitive around 3-4 kHz, deaf at the extremes.
        assert!(threshold_in_quiet_db(3300.0) < 0.0);
        assert!(threshold_in_quiet_db(50.0) > 30.0);
        assert!(threshold_in_quiet_db(18_000.0) > 40.0);
    }

    #[test]
    fn loud_tone_masks_its_neighbourhood() {
        let n = 1024;
        let edges: Vec<usize> = (0..=64).map(|i| i * 16).collect();
        let mut model = PsychoModel::new(n, 48_000, &edges);
        let mut coeffs = vec![0f32; n];
        coeffs[200] = 10.0;
        let mut thr = vec![0f32; 64];
        model.thresholds(&coeffs, &mut thr);
        // Band 12 holds the tone: its threshold is well below the tone but far above quiet;
        // far bands fall back towards the threshold in quiet.
        assert!(thr[12] < 100.0 && thr[12] > 1e-3, "{}", thr[12]);
        assert!(thr[13] > thr[24]);
        assert!(thr[11] > thr[2]);
    }
}
