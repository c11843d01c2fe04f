//! Macroblock layout and prediction shared by the slice encoder and decoder: where a
//! slice's macroblocks and 8×8 blocks lie in each plane, the per-macroblock state that
//! contexts and vector prediction read (mode, vector, vector difference), the prediction of
//! a macroblock from the reference (or 128 for intra), and copying blocks in and out.

use super::frame::{PlaneRows, Reference};
use super::intra::{Edges, IntraMode};
use super::loopfilter::BlockInfo;
use super::motion::{predict_chroma, predict_luma, predict_mv, Mv};
use super::params::VideoParams;
use super::syntax::{mvd_class, BlockGrid, MbContext, MbMode};

/// Most 8×8 blocks in a macroblock: four of luma and four per chroma plane (4:4:4).
pub(super) const MAX_MB_BLOCKS: usize = 12;

/// The samples of one macroblock per plane, each plane's part row by row at its own width
/// (at most 16×16).
pub(super) type MbSamples = [[u8; 256]; 3];

/// The 8×8 blocks of one macroblock, each (plane, block x, block y) slice-local, in coding
/// order; held in place, without allocating.
#[derive(Clone, Copy)]
pub(super) struct MbBlocks {
    list: [(usize, usize, usize); MAX_MB_BLOCKS],
    len: usize,
}

impl MbBlocks {
    pub(super) fn as_slice(&self) -> &[(usize, usize, usize)] {
        &self.list[..self.len]
    }
}

/// Geometry of a slice.
pub(super) struct Geometry {
    pub(super) mw: usize,
    pub(super) mb_y0: usize,
    pub(super) mb_rows: usize,
    pub(super) shifts: (u32, u32),
    pub(super) planes: usize,
    /// Padded frame size per plane.
    pub(super) sizes: Vec<(usize, usize)>,
}

impl Geometry {
    pub(super) fn new(params: &VideoParams, slice: usize) -> Geometry {
        let (mw, mh) = params.mb_grid();
        let rows = params.slice_rows as usize;
        let mb_y0 = (slice * rows).min(mh);
        let planes = params.chroma.plane_count();
        Geometry {
            mw,
            mb_y0,
            mb_rows: rows.min(mh - mb_y0),
            shifts: params.chroma.shifts(),
            planes,
            sizes: (0..planes).map(|p| params.padded_plane(p)).collect(),
        }
    }

    pub(super) fn shifts_of(&self, p: usize) -> (u32, u32) {
        if p == 0 {
            (0, 0)
        } else {
            self.shifts
        }
    }

    /// Size of plane p's part of one macroblock.
    pub(super) fn mb_size(&self, p: usize) -> (usize, usize) {
        let (sx, sy) = self.shifts_of(p);
        (16 >> sx, 16 >> sy)
    }

    pub(super) fn grids(&self) -> Vec<BlockGrid> {
        (0..self.planes)
            .map(|p| {
                let (w, h) = self.mb_size(p);
                BlockGrid::new(self.mw * w / 8, self.mb_rows * h / 8)
            })
            .collect()
    }

    /// The blocks of a macroblock: (plane, block x, block y) slice-local, in coding order.
    pub(super) fn blocks(&self, mbx: usize, mby: usize) -> MbBlocks {
        let mut out = MbBlocks {
            list: [(0, 0, 0); MAX_MB_BLOCKS],
            len: 0,
        };
        for p in 0..self.planes {
            let (w, h) = self.mb_size(p);
            let (bw, bh) = (w / 8, h / 8);
            for y in 0..bh {
                for x in 0..bw {
                    out.list[out.len] = (p, mbx * bw + x, mby * bh + y);
                    out.len += 1;
                }
            }
        }
        out
    }
}

/// Per-macroblock state the next macroblocks' contexts and predictions need. A split
/// macroblock is represented by its bottom-right quarter (the one next to both the right
/// and the lower neighbour).
pub(super) struct MbState {
    pub(super) modes: Vec<MbMode>,
    pub(super) mvs: Vec<Mv>,
    pub(super) mvds: Vec<Mv>,
    /// B-frames: each macroblock's vector towards the earlier and the later anchor, where
    /// it predicts from that anchor (a split or halved macroblock by its bottom-right
    /// part's); each list's vectors predict only that list's.
    pub(super) lists: Vec<[Option<Mv>; 2]>,
}

impl MbState {
    pub(super) fn new(n: usize) -> MbState {
        MbState {
            modes: vec![MbMode::Skip; n],
            mvs: vec![Mv::ZERO; n],
            mvds: vec![Mv::ZERO; n],
            lists: vec![[None; 2]; n],
        }
    }

    /// B-frames: the vector prediction towards each anchor, from the neighbours' vectors
    /// towards that anchor (as [`MbState::context`] predicts from all vectors).
    pub(super) fn list_predictions(&self, g: &Geometry, mbx: usize, mby: usize) -> [Mv; 2] {
        let i = mby * g.mw + mbx;
        let left = (mbx > 0).then(|| i - 1);
        let above = (mby > 0).then(|| i - g.mw);
        let above_right = (mby > 0 && mbx + 1 < g.mw).then(|| i - g.mw + 1);
        let above_left = (mby > 0 && mbx > 0).then(|| i - g.mw - 1);
        std::array::from_fn(|l| {
            let mv_of = |j: Option<usize>| j.and_then(|j| self.lists[j][l]);
            predict_mv(
                mv_of(left),
                mv_of(above),
                mv_of(above_right).or(mv_of(above_left)),
            )
        })
    }

    pub(super) fn context(&self, g: &Geometry, mbx: usize, mby: usize) -> (MbContext, Mv) {
        let i = mby * g.mw + mbx;
        let left = (mbx > 0).then(|| i - 1);
        let above = (mby > 0).then(|| i - g.mw);
        let above_right = (mby > 0 && mbx + 1 < g.mw).then(|| i - g.mw + 1);
        let above_left = (mby > 0 && mbx > 0).then(|| i - g.mw - 1);
        let mv_of = |j: Option<usize>| {
            j.map(|j| {
                if self.modes[j] == MbMode::Intra {
                    Mv::ZERO
                } else {
                    self.mvs[j]
                }
            })
        };
        let pred = predict_mv(
            mv_of(left),
            mv_of(above),
            mv_of(above_right).or(mv_of(above_left)),
        );
        let count = |f: &dyn Fn(usize) -> bool| {
            left.map_or(0, |j| f(j) as usize) + above.map_or(0, |j| f(j) as usize)
        };
        let skipped = count(&|j| self.modes[j] == MbMode::Skip);
        let intra = count(&|j| self.modes[j] == MbMode::Intra);
        let split = count(&|j| self.modes[j] == MbMode::Split);
        let mvd = |c: usize| {
            let get = |j: Option<usize>| {
                j.map_or(0, |j| {
                    let d = self.mvds[j];
                    if c == 0 {
                        d.x
                    } else {
                        d.y
                    }
                })
            };
            mvd_class(get(left).abs() + get(above).abs())
        };
        (
            MbContext {
                skipped,
                intra,
                split,
                mvd: [mvd(0), mvd(1)],
            },
            pred,
        )
    }

    pub(super) fn set(
        &mut self,
        g: &Geometry,
        mbx: usize,
        mby: usize,
        mode: MbMode,
        mv: Mv,
        mvd: Mv,
    ) {
        let i = mby * g.mw + mbx;
        self.modes[i] = mode;
        self.mvs[i] = mv;
        self.mvds[i] = mvd;
    }
}

/// Builds the motion-compensated prediction of a macroblock per plane: the whole
/// macroblock moved by `mvs[0]`, or for split and halves each quarter (raster order) by its
/// own vector (the two quarters of a half share theirs). Without a reference (never in a valid stream) the prediction is 128.
pub(super) fn predict_mb(
    g: &Geometry,
    reference: Option<&Reference>,
    mbx: usize,
    mby_global: usize,
    mode: MbMode,
    mvs: &[Mv; 4],
    out: &mut [Vec<u8>],
) {
    let parts: &[(usize, usize)] = if mode.is_partitioned() {
        &[(0, 0), (1, 0), (0, 1), (1, 1)]
    } else {
        &[(0, 0)]
    };
    // Quarter size as a fraction of the macroblock: 1 (whole) or 2 (halves).
    let div = if mode.is_partitioned() { 2 } else { 1 };
    for p in 0..g.planes {
        let (w, h) = g.mb_size(p);
        let buf = &mut out[p];
        buf.resize(w * h, 128);
        let Some(r) = reference.filter(|_| mode != MbMode::Intra) else {
            buf.fill(128);
            continue;
        };
        let (pw, ph) = (w / div, h / div);
        let mut part = [0u8; 256];
        for (k, &(qx, qy)) in parts.iter().enumerate() {
            let (x, y) = (w * mbx + qx * pw, h * mby_global + qy * ph);
            let out_part = &mut part[..pw * ph];
            if p == 0 {
                match &r.grid {
                    Some(grid) => grid.predict(x, y, mvs[k], pw, out_part),
                    None => predict_luma(&r.planes[0], x, y, mvs[k], pw, out_part),
                }
            } else {
                predict_chroma(&r.planes[p], x, y, pw, ph, mvs[k], g.shifts, out_part);
            }
            for row in 0..ph {
                buf[(qy * ph + row) * w + qx * pw..][..pw]
                    .copy_from_slice(&out_part[row * pw..][..pw]);
            }
        }
    }
}

/// Builds the prediction of a B-frame macroblock from both anchors: the rounded average of
/// the earlier anchor's block moved by `mvs[0]` and the later one's moved by `mvs[1]`,
/// per plane; `scratch` holds the second prediction.
#[allow(clippy::too_many_arguments)]
pub(super) fn predict_bi_mb(
    g: &Geometry,
    (earlier, later): (Option<&Reference>, Option<&Reference>),
    mbx: usize,
    mby_global: usize,
    mvs: [Mv; 2],
    out: &mut [Vec<u8>],
    scratch: &mut [Vec<u8>],
) {
    predict_mb(
        g,
        earlier,
        mbx,
        mby_global,
        MbMode::Inter,
        &[mvs[0]; 4],
        out,
    );
    predict_mb(
        g,
        later,
        mbx,
        mby_global,
        MbMode::Inter,
        &[mvs[1]; 4],
        scratch,
    );
    for (o, s) in out.iter_mut().zip(scratch.iter()).take(g.planes) {
        for (a, &b) in o.iter_mut().zip(s.iter()) {
            *a = ((*a as u16 + b as u16 + 1) >> 1) as u8;
        }
    }
}

/// Builds the intra prediction of a macroblock per plane from the slice's reconstruction
/// so far (`mby` counts rows within the slice).
pub(super) fn predict_intra_mb(
    g: &Geometry,
    rows: &[PlaneRows<'_>],
    mbx: usize,
    mby: usize,
    mode: IntraMode,
    out: &mut [Vec<u8>],
) {
    for p in 0..g.planes {
        let (w, h) = g.mb_size(p);
        out[p].resize(w * h, 128);
        Edges::gather(&rows[p], mbx, mby, w, h).predict(mode, &mut out[p]);
    }
}

/// Copies the 8×8 block at (x, y) of a `w`-wide buffer.
pub(super) fn block_of(buf: &[u8], w: usize, x: usize, y: usize) -> [u8; 64] {
    let mut b = [0u8; 64];
    for r in 0..8 {
        b[8 * r..8 * r + 8].copy_from_slice(&buf[(y + r) * w + x..][..8]);
    }
    b
}

pub(super) fn put_block(buf: &mut [u8], w: usize, x: usize, y: usize, b: &[u8; 64]) {
    for r in 0..8 {
        buf[(y + r) * w + x..][..8].copy_from_slice(&b[8 * r..8 * r + 8]);
    }
}

/// Copies a macroblock's reconstruction into the slice rows.
pub(super) fn store_mb(
    g: &Geometry,
    rows: &mut [PlaneRows<'_>],
    mbx: usize,
    mby: usize,
    recon: &MbSamples,
) {
    for p in 0..g.planes {
        let (w, h) = g.mb_size(p);
        let pr = &mut rows[p];
        for r in 0..h {
            let y = mby * h + r;
            pr.data[y * pr.width + mbx * w..][..w].copy_from_slice(&recon[p][r * w..][..w]);
        }
    }
}

pub(super) fn record_blocks(
    blocks: &mut [BlockInfo],
    mw: usize,
    mbx: usize,
    mby: usize,
    (mode, reference): (MbMode, usize),
    mvs: &[Mv; 4],
    coded: &[bool],
) {
    let across = 2 * mw;
    for (j, &c) in coded.iter().enumerate().take(4) {
        let (x, y) = (2 * mbx + j % 2, 2 * mby + j / 2);
        blocks[y * across + x] = BlockInfo {
            intra: mode == MbMode::Intra,
            coded: c,
            mv: match mode {
                MbMode::Intra => Mv::ZERO,
                MbMode::Split | MbMode::Wide | MbMode::Tall => mvs[j],
                _ => mvs[0],
            },
            reference: reference as u8,
        };
    }
}
