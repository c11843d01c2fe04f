//! Lookahead: motion estimation on the source frames, ahead of coding.
//!
//! In: padded source frames in display order. Out: for each frame, a whole-sample motion
//! vector per macroblock against the previous *source* frame, and two cost estimates of the
//! frame: coded as it is (intra, the 4×4 Hadamard cost of each macroblock against the DC of
//! its source neighbours) and coded from the previous frame (the cheaper of that and the
//! motion-compensated cost, per macroblock). The encoder uses the vectors as one more start
//! of its own search on the reconstruction, and the costs to decide scene cuts before it
//! codes a frame (a frame that motion compensation barely helps becomes a keyframe).
//!
//! The analysis of a frame depends only on it and the frame before, never on coding
//! decisions, so it can run on its own thread any number of frames ahead of the coder
//! ([`super::VideoEncoder::encode_stream`]) and the output bytes stay the same.

use super::motion::{satd, search, Mv, QuarterGrid, SearchParams};
use super::params::VideoParams;
use crate::signal::Plane;

/// Full-sample search range of the lookahead, in luma samples.
pub const SEARCH_RANGE: i32 = 32;
/// Cost of a vector bit in SAD units.
const LAMBDA: u32 = 4;
/// A frame is a scene cut when coding it from the previous frame is estimated to cost more
/// than this share of coding it on its own.
pub const SCENE_CUT_RATIO: f64 = 0.7;

/// Frames ahead over which [`FrameAnalysis::qp_offsets`] counts a macroblock's reuse.
pub const OFFSET_HORIZON: usize = 8;
/// Largest share of a macroblock's content taken as kept from one frame to the next.
const MAX_KEPT: f32 = 0.95;
/// Largest quantizer offset of a macroblock, either way.
const MAX_OFFSET: i8 = 12;

/// What the lookahead learned of one frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameAnalysis {
    /// Whole-sample vector (in quarter samples) of every macroblock against the previous
    /// source frame, raster order; empty for the first frame.
    pub mvs: Vec<Mv>,
    /// Estimated cost of the frame coded without reference (sum over macroblocks).
    pub intra_cost: u64,
    /// Estimated cost of the frame predicted from the previous one, each macroblock the
    /// cheaper of inter and intra; equal to `intra_cost` for the first frame.
    pub inter_cost: u64,
    /// Per macroblock (raster order): the intra estimate and the cheaper of it and the
    /// motion-compensated cost; empty for the first frame.
    pub mb_costs: Vec<(u32, u32)>,
}

impl FrameAnalysis {
    /// Quantizer index offsets of the frame's macroblocks (raster order; empty for the
    /// first frame), from how well each is predicted from the frame before. A macroblock
    /// that keeps a share f of its content (1 − inter/intra cost) is expected to keep it in
    /// the frames after as well, so to be predicted from, directly or through them, about
    /// f + f² + … + f^[`OFFSET_HORIZON`] times its own worth; its weight is −`strength` ×
    /// log2(1 + that sum). The offsets are the weights less their mean over the frame,
    /// rounded: the frame's bits move from moving and new content to content that stays,
    /// while the frame's index keeps its meaning.
    pub fn qp_offsets(&self, strength: f32) -> Vec<i8> {
        if strength <= 0.0 || self.mb_costs.is_empty() {
            return Vec::new();
        }
        let weights: Vec<f32> = self
            .mb_costs
            .iter()
            .map(|&(intra, inter)| {
                if intra == 0 {
                    return 0.0;
                }
                let kept = (1.0 - inter as f32 / intra as f32).clamp(0.0, MAX_KEPT);
                let mut reuse = 0.0;
                let mut term = 1.0;
                for _ in 0..OFFSET_HORIZON {
                    term *= kept;
                    reuse += term;
                }
                -strength * (1.0 + reuse).log2()
            })
            .collect();
        let mean = weights.iter().sum::<f32>() / weights.len() as f32;
        let limit = MAX_OFFSET as f32;
        weights
            .iter()
            .map(|&w| (w - mean).round().clamp(-limit, limit) as i8)
            .collect()
    }

    /// Motion compensation saves so little that the frame looks like a new scene.
    pub fn is_scene_cut(&self) -> bool {
        !self.mvs.is_empty() && self.inter_cost as f64 > SCENE_CUT_RATIO * self.intra_cost as f64
    }
}

/// A padded source frame with its analysis, ready to code.
pub struct AnalysedFrame {
    /// The frame's planes padded to whole macroblocks.
    pub planes: Vec<Plane>,
    pub analysis: FrameAnalysis,
}

/// Analyses frames in order, remembering the previous one.
pub struct Analyser {
    mb_grid: (usize, usize),
    /// Luma of the previous source frame, interpolated for the search.
    previous: Option<QuarterGrid>,
    /// The previous frame's vectors: temporal starts for the search.
    previous_mvs: Vec<Mv>,
}

impl Analyser {
    pub fn new(params: &VideoParams) -> Analyser {
        Analyser {
            mb_grid: params.mb_grid(),
            previous: None,
            previous_mvs: Vec::new(),
        }
    }

    /// Analyses the next frame (padded planes) against the one before it.
    pub fn analyse(&mut self, planes: Vec<Plane>) -> AnalysedFrame {
        let luma = &planes[0];
        let (mw, mh) = self.mb_grid;
        let mut mvs = Vec::with_capacity(mw * mh);
        let mut mb_costs = Vec::with_capacity(mw * mh);
        let (mut intra_cost, mut inter_cost) = (0u64, 0u64);
        let mut block = [0u8; 256];
        let params = SearchParams {
            lambda: LAMBDA,
            range: SEARCH_RANGE,
            subpel_rounds: 0,
        };
        for mby in 0..mh {
            for mbx in 0..mw {
                let (x, y) = (16 * mbx, 16 * mby);
                for r in 0..16 {
                    block[16 * r..16 * r + 16]
                        .copy_from_slice(&luma.data[(y + r) * luma.width + x..][..16]);
                }
                let intra = intra_estimate(luma, x, y, &block);
                intra_cost += intra as u64;
                let Some(grid) = &self.previous else {
                    continue;
                };
                let i = mby * mw + mbx;
                let temporal = self.previous_mvs.get(i).copied();
                let left = (mbx > 0).then(|| mvs[i - 1]);
                let above = (mby > 0).then(|| mvs[i - mw]);
                let mut starts = [Mv::ZERO; 3];
                let mut count = 0;
                for m in [temporal, left, above].into_iter().flatten() {
                    starts[count] = m;
                    count += 1;
                }
                let starts = &starts[..count];
                let pred = starts.first().copied().unwrap_or(Mv::ZERO);
                let (mv, cost) = search(
                    grid,
                    (x, y, 16),
                    &block,
                    pred,
                    starts,
                    luma.width,
                    luma.height,
                    &params,
                );
                let (mv, inter) = if cost == u32::MAX {
                    (Mv::ZERO, u32::MAX)
                } else {
                    (mv, grid.satd(x, y, mv, 16, &block))
                };
                mvs.push(mv);
                mb_costs.push((intra, inter.min(intra)));
                inter_cost += inter.min(intra) as u64;
            }
        }
        if self.previous.is_none() {
            inter_cost = intra_cost;
        }
        self.previous = Some(QuarterGrid::new(luma, 1));
        self.previous_mvs.clone_from(&mvs);
        AnalysedFrame {
            planes,
            analysis: FrameAnalysis {
                mvs,
                intra_cost,
                inter_cost,
                mb_costs,
            },
        }
    }
}

/// Hadamard cost of the 16×16 `block` at (x, y) against the mean of the source samples
/// above and to the left of it (128 at the picture's corner): an estimate of its intra cost.
fn intra_estimate(luma: &Plane, x: usize, y: usize, block: &[u8; 256]) -> u32 {
    let mut sum = 0u32;
    let mut count = 0u32;
    if y > 0 {
        let row = &luma.data[(y - 1) * luma.width + x..][..16];
        sum += row.iter().map(|&v| v as u32).sum::<u32>();
        count += 16;
    }
    if x > 0 {
        sum += (0..16)
            .map(|r| luma.data[(y + r) * luma.width + x - 1] as u32)
            .sum::<u32>();
        count += 16;
    }
    let dc = (sum + count / 2)
        .checked_div(count)
        .map_or(128, |v| v as u8);
    satd(block, &[dc; 256], 16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::y4m::{ChromaFormat, Y4mHeader};

    fn params(w: u32, h: u32) -> VideoParams {
        VideoParams::from_y4m(&Y4mHeader::new(w, h, ChromaFormat::Mono, (25, 1)))
    }

    fn texture(w: usize, h: usize, dx: usize, dy: usize) -> Plane {
        let mut plane = Plane::filled(w, h, 0);
        for y in 0..h {
            for x in 0..w {
                let (gx, gy) = ((x + dx) as f64, (y + dy) as f64);
                let v = 128.0
                    + 60.0 * (gx * 0.21).sin() * (gy * 0.13).cos()
                    + 20.0 * ((gx + gy) * 0.05).sin();
                plane.data[y * w + x] = v as u8;
            }
        }
        plane
    }

    #[test]
    fn finds_the_motion_of_a_shifted_picture() {
        let p = params(64, 48);
        let mut analyser = Analyser::new(&p);
        let first = analyser.analyse(vec![texture(64, 48, 10, 10)]);
        assert!(first.analysis.mvs.is_empty());
        assert_eq!(first.analysis.inter_cost, first.analysis.intra_cost);
        // The picture moves 3 samples left and 2 up: content at (x, y) came from (x+3, y+2).
        let second = analyser.analyse(vec![texture(64, 48, 13, 12)]);
        let a = &second.analysis;
        assert_eq!(a.mvs.len(), 4 * 3);
        // Interior macroblocks (whose source lies inside the previous picture) match exactly.
        for mby in 0..2 {
            for mbx in 0..3 {
                assert_eq!(a.mvs[mby * 4 + mbx], Mv { x: 12, y: 8 }, "mb {mbx},{mby}");
            }
        }
        assert!(a.inter_cost * 4 < a.intra_cost, "{a:?}");
        assert!(!a.is_scene_cut());
    }

    #[test]
    fn a_new_picture_is_a_scene_cut() {
        let p = params(64, 48);
        let mut analyser = Analyser::new(&p);
        analyser.analyse(vec![texture(64, 48, 0, 0)]);
        let same = analyser.analyse(vec![texture(64, 48, 0, 0)]);
        assert!(!same.analysis.is_scene_cut());
        assert_eq!(same.analysis.inter_cost, 0);
        let mut other = Plane::filled(64, 48, 0);
        for (i, v) in other.data.iter_mut().enumerate() {
            *v = ((i * 7919) % 253) as u8;
        }
        let cut = analyser.analyse(vec![other]);
        assert!(cut.analysis.is_scene_cut(), "{:?}", cut.analysis);
    }

    #[test]
    fn content_that_stays_gets_finer_offsets_around_a_zero_mean() {
        let p = params(64, 48);
        let mut analyser = Analyser::new(&p);
        let first = analyser.analyse(vec![texture(64, 48, 0, 0)]);
        assert!(
            first.analysis.qp_offsets(1.0).is_empty(),
            "no offsets without a past"
        );
        // The left half stays, the right half is new noise.
        let mut next = texture(64, 48, 0, 0);
        for y in 0..48 {
            for x in 32..64 {
                next.data[y * 64 + x] = ((x * 7919 + y * 104_729) % 251) as u8;
            }
        }
        let a = analyser.analyse(vec![next]).analysis;
        let offsets = a.qp_offsets(1.0);
        assert_eq!(offsets.len(), 12);
        for mby in 0..3 {
            let (left, right) = (offsets[mby * 4], offsets[mby * 4 + 3]);
            assert!(left < 0 && right > 0, "row {mby}: {offsets:?}");
        }
        let sum: i32 = offsets.iter().map(|&o| o as i32).sum();
        assert!(sum.abs() <= 6, "{offsets:?}");
        // Stronger means wider; zero strength means none.
        let strong = a.qp_offsets(2.0);
        assert!(
            strong[0] < offsets[0] && strong[3] > offsets[3],
            "{strong:?}"
        );
        assert!(a.qp_offsets(0.0).is_empty());
    }
}
