//! The residual of an inter macroblock coded with the block coder's transforms and
//! coefficient syntax ([`crate::codec::block`]), when the stream says so
//! ([`super::params::FLAG_BLOCK_RESIDUALS`]): luma as one 16×16 DCT, or per 8×8 quarter
//! one 8×8 DCT or four 4×4 DCTs; each chroma plane as one block of its macroblock size
//! (8×8 for 4:2:0, 16×16 for 4:4:4).
//!
//! In: the macroblock's source and prediction (encoder) or its symbols (decoder), the
//! frame's flat steps. Out: the chosen layout and levels, priced and written with the same
//! models the decoder reads with, and the reconstruction (prediction + the block coder's
//! integer inverse DCT), identical in the encoder and the decoder. The encoder picks the
//! layout by distortion + λ·bits, each block quantized by the block coder's
//! rate-distortion optimization.

use crate::codec::block::coeffs::{optimize_levels, read_block, write_block, CoeffModels};
use crate::codec::block::dct::{self, DEQUANT_ONE};
use crate::codec::block::recon::{reconstruct, ReconScratch};
use crate::entropy::{BitCounter, BitModel, RangeDecoder, SymbolWriter, COST_SCALE};

/// Samples of a 16×16 macroblock plane.
const MB: usize = 256;

/// Adaptive models of the block-coded residuals of one slice.
#[derive(Clone)]
pub struct TxModels {
    luma: CoeffModels,
    chroma: CoeffModels,
    /// The luma is one 16×16 block.
    whole: BitModel,
    /// An 8×8 quarter is four 4×4 blocks.
    quarter_split: BitModel,
}

impl TxModels {
    pub fn new() -> TxModels {
        TxModels {
            luma: CoeffModels::new(),
            chroma: CoeffModels::new(),
            whole: BitModel::new(),
            quarter_split: BitModel::new(),
        }
    }
}

impl Default for TxModels {
    fn default() -> Self {
        TxModels::new()
    }
}

/// The luma transform layout of a macroblock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LumaLayout {
    /// One 16×16 block.
    pub whole: bool,
    /// Otherwise, per 8×8 quarter in raster order: four 4×4 blocks instead of one 8×8.
    pub split: [bool; 4],
}

/// A luma block of a layout: its place in the macroblock, side, and where its levels
/// start in [`TxResidual::luma`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LumaBlock {
    pub x: usize,
    pub y: usize,
    pub n: usize,
    pub offset: usize,
}

impl LumaLayout {
    /// The luma blocks in coding order (at most 16).
    pub fn blocks(&self) -> ([LumaBlock; 16], usize) {
        let mut out = [LumaBlock {
            x: 0,
            y: 0,
            n: 16,
            offset: 0,
        }; 16];
        if self.whole {
            return (out, 1);
        }
        let mut count = 0;
        for q in 0..4 {
            let (qx, qy) = (8 * (q % 2), 8 * (q / 2));
            if self.split[q] {
                for j in 0..4 {
                    out[count] = LumaBlock {
                        x: qx + 4 * (j % 2),
                        y: qy + 4 * (j / 2),
                        n: 4,
                        offset: 64 * q + 16 * j,
                    };
                    count += 1;
                }
            } else {
                out[count] = LumaBlock {
                    x: qx,
                    y: qy,
                    n: 8,
                    offset: 64 * q,
                };
                count += 1;
            }
        }
        (out, count)
    }
}

/// The levels of a macroblock's residual: luma in the layout's block order (each block
/// row-major from its offset), then each chroma plane as one block.
#[derive(Clone)]
pub struct TxResidual {
    pub layout: LumaLayout,
    pub luma: [i32; MB],
    pub chroma: [[i32; MB]; 2],
}

impl TxResidual {
    pub const ZERO: TxResidual = TxResidual {
        layout: LumaLayout {
            whole: true,
            split: [false; 4],
        },
        luma: [0; MB],
        chroma: [[0; MB]; 2],
    };

    /// Which 8×8 luma quarters hold a nonzero level (raster order).
    pub fn coded_quarters(&self) -> [bool; 4] {
        if self.layout.whole {
            return [self.luma.iter().any(|&l| l != 0); 4];
        }
        std::array::from_fn(|q| self.luma[64 * q..64 * q + 64].iter().any(|&l| l != 0))
    }

    /// Whether chroma plane `c` (0 Cb, 1 Cr) of side `n` holds a nonzero level.
    pub fn chroma_coded(&self, c: usize, n: usize) -> bool {
        self.chroma[c][..n * n].iter().any(|&l| l != 0)
    }
}

/// Writes a residual; `chroma_n` is the side of the chroma blocks (`None` without chroma).
pub fn write_residual<W: SymbolWriter>(
    w: &mut W,
    m: &mut TxModels,
    res: &TxResidual,
    chroma_n: Option<usize>,
) {
    w.put_bit(&mut m.whole, res.layout.whole);
    if !res.layout.whole {
        for q in 0..4 {
            w.put_bit(&mut m.quarter_split, res.layout.split[q]);
        }
    }
    let (blocks, count) = res.layout.blocks();
    for b in &blocks[..count] {
        write_block(w, &mut m.luma, b.n, &res.luma[b.offset..], 0);
    }
    if let Some(n) = chroma_n {
        write_block(w, &mut m.chroma, n, &res.chroma[0], 0);
        let cr_context = 1 + res.chroma_coded(0, n) as usize;
        write_block(w, &mut m.chroma, n, &res.chroma[1], cr_context);
    }
}

/// Reads a residual, or `None` for impossible data.
pub fn read_residual(
    r: &mut RangeDecoder<'_>,
    m: &mut TxModels,
    chroma_n: Option<usize>,
) -> Option<TxResidual> {
    let mut res = TxResidual::ZERO;
    res.layout.whole = r.get_bit(&mut m.whole);
    if !res.layout.whole {
        for q in 0..4 {
            res.layout.split[q] = r.get_bit(&mut m.quarter_split);
        }
    }
    let (blocks, count) = res.layout.blocks();
    for b in &blocks[..count] {
        read_block(r, &mut m.luma, b.n, &mut res.luma[b.offset..], 0)?;
    }
    if let Some(n) = chroma_n {
        let cb = read_block(r, &mut m.chroma, n, &mut res.chroma[0], 0)?;
        read_block(r, &mut m.chroma, n, &mut res.chroma[1], 1 + cb as usize)?;
    }
    Some(res)
}

/// The frame's flat steps per plane kind (0 luma, 1 chroma): in 1/16 coefficient units
/// for reconstruction and in coefficient units for quantization.
pub struct TxSteps {
    steps16: [[u16; MB]; 2],
    steps: [[f32; MB]; 2],
}

impl TxSteps {
    /// Steps from the frame's luma and chroma `step16`.
    pub fn new(step16: [u16; 2]) -> TxSteps {
        TxSteps {
            steps16: step16.map(|s| [s; MB]),
            steps: step16.map(|s| [s as f32 / DEQUANT_ONE as f32; MB]),
        }
    }
}

/// Scratch space of coding and reconstructing blocks.
pub struct TxScratch {
    residual: [f32; MB],
    coeffs: [f32; MB],
    rows: [f32; MB],
    prediction: [i32; MB],
    samples: [u8; MB],
    recon: ReconScratch,
}

impl TxScratch {
    pub fn new() -> Box<TxScratch> {
        Box::new(TxScratch {
            residual: [0.0; MB],
            coeffs: [0.0; MB],
            rows: [0.0; MB],
            prediction: [0; MB],
            samples: [0; MB],
            recon: ReconScratch::new(),
        })
    }
}

/// Copies the n×n block at (x, y) of a `width`-wide macroblock plane into `out` as i32.
fn block_i32(plane: &[u8], width: usize, x: usize, y: usize, n: usize, out: &mut [i32]) {
    for row in 0..n {
        let s = &plane[(y + row) * width + x..][..n];
        for (o, &v) in out[row * n..][..n].iter_mut().zip(s) {
            *o = v as i32;
        }
    }
}

/// Reconstructs the n×n block at (x, y) of a `width`-wide plane from its prediction and
/// levels, writing it into `recon`.
#[allow(clippy::too_many_arguments)]
fn reconstruct_block(
    scratch: &mut TxScratch,
    pred: &[u8],
    width: usize,
    (x, y, n): (usize, usize, usize),
    levels: &[i32],
    steps16: &[u16],
    recon: &mut [u8],
) {
    block_i32(pred, width, x, y, n, &mut scratch.prediction);
    let samples = &mut scratch.samples;
    reconstruct(
        n,
        &scratch.prediction[..n * n],
        levels,
        steps16,
        samples,
        &mut scratch.recon,
    );
    for row in 0..n {
        recon[(y + row) * width + x..][..n].copy_from_slice(&samples[row * n..][..n]);
    }
}

/// Reconstructs a macroblock: `pred` and `recon` hold each plane's part row by row at the
/// width of `sizes[p]`.
pub fn reconstruct_mb(
    res: &TxResidual,
    steps: &TxSteps,
    sizes: &[(usize, usize)],
    pred: &[Vec<u8>],
    recon: &mut [[u8; MB]; 3],
    scratch: &mut TxScratch,
) {
    let (blocks, count) = res.layout.blocks();
    for b in &blocks[..count] {
        let levels = &res.luma[b.offset..];
        let at = (b.x, b.y, b.n);
        reconstruct_block(
            scratch,
            &pred[0],
            16,
            at,
            levels,
            &steps.steps16[0],
            &mut recon[0],
        );
    }
    for p in 1..sizes.len() {
        let n = sizes[p].0;
        let levels = &res.chroma[p - 1];
        let at = (0, 0, n);
        let out = &mut recon[p];
        reconstruct_block(scratch, &pred[p], n, at, levels, &steps.steps16[1], out);
    }
}

/// Quantizes the n×n block at (x, y) of a `width`-wide plane into `levels`, rate-distortion
/// optimized at `lambda` (squared sample error per bit), and returns its squared error
/// after reconstruction and its bits.
#[allow(clippy::too_many_arguments)]
fn code_block(
    scratch: &mut TxScratch,
    (src, pred): (&[u8], &[u8]),
    width: usize,
    (x, y, n): (usize, usize, usize),
    (models, context): (&mut CoeffModels, usize),
    kind: usize,
    steps: &TxSteps,
    lambda: f32,
    levels: &mut [i32],
) -> (u64, f64) {
    let count = n * n;
    for row in 0..n {
        for col in 0..n {
            let i = (y + row) * width + x + col;
            scratch.residual[row * n + col] = src[i] as f32 - pred[i] as f32;
        }
    }
    dct::forward(
        n,
        &scratch.residual[..count],
        &mut scratch.coeffs[..count],
        &mut scratch.rows,
    );
    let step = &steps.steps[kind][..count];
    let coeffs = &scratch.coeffs[..count];
    optimize_levels(models, n, coeffs, step, lambda, context, levels);
    let mut counter = BitCounter::new();
    write_block(&mut counter, models, n, levels, context);
    // The squared error in coefficients is the squared error in samples (the transform is
    // orthonormal), less the rounding of the reconstruction to whole samples: about 1/12
    // per sample where anything is coded. The chosen residual is reconstructed for real.
    let mut error = 0.0f32;
    for i in 0..count {
        let d = coeffs[i] - levels[i] as f32 * step[i];
        error += d * d;
    }
    if levels[..count].iter().any(|&l| l != 0) {
        error += count as f32 / 12.0;
    }
    let sse = error.round() as u64;
    (sse, counter.cost as f64 / COST_SCALE as f64)
}

/// Bits of one flag with `model`.
fn flag_bits(model: &BitModel, bit: bool) -> f64 {
    model.cost(bit) as f64 / COST_SCALE as f64
}

/// The encoder's choice of a macroblock's residual: the luma layout of least squared error
/// plus `lambda` × bits (one 16×16 block against four quarters, each an 8×8 block or, when
/// `try_4x4` and where the 8×8 block has a nonzero level, four 4×4 blocks), and chroma,
/// every block quantized rate-distortion optimized. `src` and `pred` hold each plane's part
/// of the macroblock at the width of `sizes[p]`. Returns the residual and its squared error
/// as estimated in coefficients (blocks are priced without reconstructing them; the caller
/// reconstructs the chosen residual once). (Comparing the layouts with dead-zone levels and optimizing only the chosen blocks cost
/// 1.4 to 3.5 % in BD-rate on the corpus clips for no measurable speed.)
#[allow(clippy::too_many_arguments)]
pub fn choose_residual(
    models: &mut TxModels,
    steps: &TxSteps,
    lambda: f64,
    try_4x4: bool,
    sizes: &[(usize, usize)],
    src: &[Vec<u8>],
    pred: &[Vec<u8>],
    scratch: &mut TxScratch,
) -> (TxResidual, u64) {
    let lf = lambda as f32;
    let planes = (&src[0][..], &pred[0][..]);
    let mut res = TxResidual::ZERO;
    let mut whole_levels = [0i32; MB];
    let luma = (&mut models.luma, 0);
    let at = (0, 0, 16);
    let (whole_sse, whole_bits) = code_block(
        scratch,
        planes,
        16,
        at,
        luma,
        0,
        steps,
        lf,
        &mut whole_levels,
    );
    let whole_cost = whole_sse as f64 + lambda * (whole_bits + flag_bits(&models.whole, true));
    let mut quarters_sse = 0u64;
    let mut quarters_cost = lambda * flag_bits(&models.whole, false);
    let mut quarter_levels = [0i32; MB];
    let mut split = [false; 4];
    for q in 0..4 {
        let (qx, qy) = (8 * (q % 2), 8 * (q / 2));
        let mut levels8 = [0i32; 64];
        let luma = (&mut models.luma, 0);
        let at = (qx, qy, 8);
        let (sse8, bits8) = code_block(scratch, planes, 16, at, luma, 0, steps, lf, &mut levels8);
        let cost8 = sse8 as f64 + lambda * (bits8 + flag_bits(&models.quarter_split, false));
        let mut best = (cost8, sse8, false);
        let mut levels4 = [0i32; 64];
        // Four 4×4 blocks only where the 8×8 block has something to code.
        if try_4x4 && levels8.iter().any(|&l| l != 0) {
            let (mut sse4, mut bits4) = (0u64, flag_bits(&models.quarter_split, true));
            for j in 0..4 {
                let at = (qx + 4 * (j % 2), qy + 4 * (j / 2), 4);
                let luma = (&mut models.luma, 0);
                let out = &mut levels4[16 * j..16 * j + 16];
                let (s, b) = code_block(scratch, planes, 16, at, luma, 0, steps, lf, out);
                sse4 += s;
                bits4 += b;
            }
            let cost4 = sse4 as f64 + lambda * bits4;
            if cost4 < best.0 {
                best = (cost4, sse4, true);
            }
        }
        split[q] = best.2;
        let chosen = if best.2 { &levels4 } else { &levels8 };
        quarter_levels[64 * q..64 * q + 64].copy_from_slice(chosen);
        quarters_sse += best.1;
        quarters_cost += best.0;
    }
    let mut sse = if whole_cost <= quarters_cost {
        res.luma = whole_levels;
        whole_sse
    } else {
        res.layout = LumaLayout {
            whole: false,
            split,
        };
        res.luma = quarter_levels;
        quarters_sse
    };
    let mut cb_coded = false;
    for p in 1..sizes.len() {
        let n = sizes[p].0;
        let context = if p == 1 { 0 } else { 1 + cb_coded as usize };
        let planes = (&src[p][..], &pred[p][..]);
        let levels = &mut res.chroma[p - 1];
        let chroma = (&mut models.chroma, context);
        let (s, _) = code_block(scratch, planes, n, (0, 0, n), chroma, 1, steps, lf, levels);
        sse += s;
        cb_coded = levels[..n * n].iter().any(|&l| l != 0);
    }
    (res, sse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::RangeEncoder;

    fn residual_with(layout: LumaLayout, seed: i32) -> TxResidual {
        let mut res = TxResidual::ZERO;
        res.layout = layout;
        for (i, l) in res.luma.iter_mut().enumerate() {
            let v = (i as i32 * 7 + seed) % 23 - 11;
            *l = if i % 5 == 0 { v * 40 } else { v / 6 };
        }
        for c in 0..2 {
            for (i, l) in res.chroma[c][..64].iter_mut().enumerate() {
                *l = ((i as i32 + c as i32) % 9 - 4) / 3;
            }
        }
        res
    }

    #[test]
    fn every_layout_round_trips() {
        let layouts = [
            LumaLayout {
                whole: true,
                split: [false; 4],
            },
            LumaLayout {
                whole: false,
                split: [false; 4],
            },
            LumaLayout {
                whole: false,
                split: [true, false, false, true],
            },
            LumaLayout {
                whole: false,
                split: [true; 4],
            },
        ];
        let mut enc = RangeEncoder::new();
        let mut models = TxModels::new();
        let written: Vec<TxResidual> = layouts
            .iter()
            .enumerate()
            .map(|(i, &l)| residual_with(l, i as i32))
            .collect();
        for res in &written {
            write_residual(&mut enc, &mut models, res, Some(8));
        }
        let bytes = enc.finish();
        let mut r = RangeDecoder::new(&bytes);
        let mut models = TxModels::new();
        for res in &written {
            let got = read_residual(&mut r, &mut models, Some(8)).expect("valid data");
            assert_eq!(got.layout, res.layout);
            let (blocks, count) = res.layout.blocks();
            for b in &blocks[..count] {
                let n = b.n * b.n;
                assert_eq!(
                    got.luma[b.offset..b.offset + n],
                    res.luma[b.offset..b.offset + n]
                );
            }
            for c in 0..2 {
                assert_eq!(got.chroma[c][..64], res.chroma[c][..64]);
            }
        }
        assert!(!r.overran());
    }

    #[test]
    fn layouts_cover_the_macroblock_once() {
        for bits in 0..32u32 {
            let layout = LumaLayout {
                whole: bits & 16 != 0,
                split: std::array::from_fn(|q| bits >> q & 1 == 1),
            };
            let mut covered = [0u8; 256];
            let (blocks, count) = layout.blocks();
            for b in &blocks[..count] {
                for y in b.y..b.y + b.n {
                    for x in b.x..b.x + b.n {
                        covered[y * 16 + x] += 1;
                    }
                }
            }
            assert!(covered.iter().all(|&c| c == 1), "{layout:?}");
        }
    }

    #[test]
    fn the_choice_reconstructs_as_the_decoder_does_and_fits_the_residual() {
        let sizes = [(16, 16), (8, 8), (8, 8)];
        let src: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(p, &(w, h))| {
                (0..w * h)
                    .map(|i| {
                        let (x, y) = (i % w, i / w);
                        // Smooth on the left half, a fine texture on the right.
                        let fine = if x >= w / 2 { 40 * ((x + y) % 2) } else { 0 };
                        (60 + 3 * x + 2 * y + 10 * p + fine) as u8
                    })
                    .collect()
            })
            .collect();
        let pred: Vec<Vec<u8>> = sizes.iter().map(|&(w, h)| vec![90u8; w * h]).collect();
        let steps = TxSteps::new([64, 64]);
        let mut models = TxModels::new();
        let mut scratch = TxScratch::new();
        for try_4x4 in [true, false] {
            let (res, sse) = choose_residual(
                &mut models,
                &steps,
                30.0,
                try_4x4,
                &sizes,
                &src,
                &pred,
                &mut scratch,
            );
            let mut recon = [[0u8; MB]; 3];
            reconstruct_mb(&res, &steps, &sizes, &pred, &mut recon, &mut scratch);
            let mut check = 0u64;
            for (p, &(w, h)) in sizes.iter().enumerate() {
                for i in 0..w * h {
                    let d = src[p][i] as i64 - recon[p][i] as i64;
                    check += (d * d) as u64;
                }
            }
            // The estimate from coefficients stays close to the reconstruction's error.
            let gap = (check as f64 - sse as f64).abs();
            assert!(
                gap <= 0.02 * check as f64 + 8.0,
                "estimated {sse}, real {check}"
            );
            let pred_sse: u64 = sizes
                .iter()
                .enumerate()
                .map(|(p, &(w, h))| {
                    (0..w * h)
                        .map(|i| (src[p][i] as i64 - 90).pow(2) as u64)
                        .sum::<u64>()
                })
                .sum();
            assert!(
                sse * 10 < pred_sse,
                "coded {sse}, prediction alone {pred_sse}"
            );
        }
    }
}
