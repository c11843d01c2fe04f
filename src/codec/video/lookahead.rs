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
}

impl FrameAnalysis {
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
}
